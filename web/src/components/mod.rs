//! View components; each has its own stylesheet in `web/styles/`.

pub mod cni_settings;
pub mod combobox;
pub mod compare_view;
pub mod controls;
pub mod exercise_panel;
pub mod inspector;
pub mod intro;
pub mod ip_grid;
pub mod lock;
pub mod messages;
pub mod network;
pub mod node_card;
pub mod paths_view;
pub mod planner_view;
pub mod play;
pub mod policy_view;
pub mod rove;
pub mod table_view;
pub mod timeline;
pub mod toolbar;
pub mod vpc_map;

pub use controls::Controls;
pub use exercise_panel::ExercisePanel;
pub use inspector::Inspector;
pub use intro::Intro;
pub use ip_grid::IpGrid;
pub use messages::Messages;
pub use node_card::NodeCard;
pub use paths_view::PathsView;
pub use planner_view::PlannerView;
pub use policy_view::PolicyView;
pub use table_view::TableView;
pub use timeline::Timeline;
pub use toolbar::Toolbar;
pub use vpc_map::VpcMap;
