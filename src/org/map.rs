//! The unit status map (房态图): buildings → entrances → floors × units, with a count per state.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::UnitStatus;
use super::repo::MapCell;
use crate::checklists::Trade;

/// Which cells to show.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MapFilter {
    /// Only units in this state.
    pub status: Option<UnitStatus>,
    /// Only this building (by name).
    pub building: Option<String>,
    /// Only units with a pending defect (open, assigned or fixed) of this trade.
    pub trade: Option<Trade>,
    /// Language of a page (ignored by the JSON).
    #[serde(default)]
    pub lang: Option<String>,
}

/// One unit cell.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MapUnit {
    /// Unit id.
    pub id: Uuid,
    /// Unit number (`3-1-1201`).
    pub number: String,
    /// Room number (`1201`).
    pub room: String,
    /// State.
    pub status: UnitStatus,
    /// Some defect of the unit is past its due date (shown red).
    pub overdue: bool,
}

/// One floor row of an entrance.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MapFloor {
    /// Floor number.
    pub floor: i32,
    /// Units left to right.
    pub units: Vec<MapUnit>,
}

/// One entrance of a building.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MapEntrance {
    /// Entrance name.
    pub name: String,
    /// Floors top to bottom.
    pub floors: Vec<MapFloor>,
}

/// One building.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MapBuilding {
    /// Building name.
    pub name: String,
    /// Units in the building (before the state filter).
    pub total: usize,
    /// Entrances.
    pub entrances: Vec<MapEntrance>,
}

/// Count of units in one state.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StateCount {
    /// State.
    pub status: UnitStatus,
    /// Units in it (within the building and trade filters).
    pub count: usize,
}

/// Count of units with pending defects of one trade.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TradeCount {
    /// Trade.
    pub trade: Trade,
    /// Units with a pending defect of it (within the building and state filters).
    pub count: usize,
}

/// The whole map of a project.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatusMap {
    /// Project id.
    pub project_id: Uuid,
    /// Units in the project.
    pub total: usize,
    /// Units per state, every state listed (zero included).
    pub counts: Vec<StateCount>,
    /// Units per trade of their pending defects, every trade listed (zero included).
    pub trades: Vec<TradeCount>,
    /// Buildings, filtered.
    pub buildings: Vec<MapBuilding>,
}

impl StatusMap {
    /// Builds the map from cells ordered by building, entrance, floor (descending), room.
    pub fn build(project_id: Uuid, cells: &[MapCell], filter: &MapFilter) -> Self {
        let in_building = |c: &MapCell| filter.building.as_deref().is_none_or(|b| b == c.building);
        let in_trade = |c: &MapCell| filter.trade.is_none_or(|t| c.trades.contains(&t));
        let in_state = |c: &MapCell| filter.status.is_none_or(|s| s == c.state());
        let counts = UnitStatus::ALL
            .into_iter()
            .map(|s| StateCount {
                status: s,
                count: cells
                    .iter()
                    .filter(|c| in_building(c) && in_trade(c) && c.state() == s)
                    .count(),
            })
            .collect();
        let trades = Trade::ALL
            .into_iter()
            .map(|t| TradeCount {
                trade: t,
                count: cells
                    .iter()
                    .filter(|c| in_building(c) && in_state(c) && c.trades.contains(&t))
                    .count(),
            })
            .collect();
        let mut buildings: Vec<MapBuilding> = Vec::new();
        for cell in cells {
            if buildings.last().is_none_or(|b| b.name != cell.building) {
                buildings.push(MapBuilding {
                    name: cell.building.clone(),
                    total: 0,
                    entrances: Vec::new(),
                });
            }
            let b = buildings.last_mut().expect("just pushed");
            b.total += 1;
            if !(in_building(cell) && in_trade(cell) && in_state(cell)) {
                continue;
            }
            if b.entrances.last().is_none_or(|e| e.name != cell.entrance) {
                b.entrances.push(MapEntrance {
                    name: cell.entrance.clone(),
                    floors: Vec::new(),
                });
            }
            let e = b.entrances.last_mut().expect("just pushed");
            if e.floors.last().is_none_or(|f| f.floor != cell.floor) {
                e.floors.push(MapFloor {
                    floor: cell.floor,
                    units: Vec::new(),
                });
            }
            let f = e.floors.last_mut().expect("just pushed");
            f.units.push(MapUnit {
                id: cell.id,
                number: cell.number.clone(),
                room: cell.room.clone(),
                status: cell.state(),
                overdue: cell.overdue,
            });
        }
        StatusMap {
            project_id,
            total: cells.len(),
            counts,
            trades,
            buildings,
        }
    }

    /// Widest floor row per entrance name, so page grids line up.
    pub fn max_units_per_floor(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for b in &self.buildings {
            for e in &b.entrances {
                let w = e.floors.iter().map(|f| f.units.len()).max().unwrap_or(0);
                let slot = out.entry(e.name.clone()).or_insert(0);
                *slot = (*slot).max(w);
            }
        }
        out
    }
}

/// One project's map as of one `map_version`: its cells and what was rendered from them.
#[derive(Debug, Default)]
struct Entry {
    version: i64,
    cells: Option<Arc<Vec<MapCell>>>,
    rendered: HashMap<String, Bytes>,
}

/// Most rendered variants (filters × languages × formats) kept per project.
const MAX_RENDERED: usize = 64;

/// The cells of each project's map as of a `map_version`, and the JSON and HTML rendered from
/// them per filter and language, so a busy status map does not re-read and re-render 1,000–3,000
/// units per request. Every app server keeps its own; the version read per request (one tiny
/// query) keeps them all coherent with the database.
#[derive(Debug, Default)]
pub struct MapCache(Mutex<HashMap<Uuid, Entry>>);

impl MapCache {
    fn with<T>(&self, project: Uuid, version: i64, f: impl FnOnce(&mut Entry) -> T) -> T {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let entry = map.entry(project).or_default();
        if entry.version != version {
            *entry = Entry {
                version,
                ..Entry::default()
            };
        }
        f(entry)
    }

    /// The cached cells of `project` if they are of `version`.
    pub fn cells(&self, project: Uuid, version: i64) -> Option<Arc<Vec<MapCell>>> {
        self.with(project, version, |e| e.cells.clone())
    }

    /// Remembers the cells of `project` at `version`.
    pub fn put_cells(&self, project: Uuid, version: i64, cells: Arc<Vec<MapCell>>) {
        self.with(project, version, |e| e.cells = Some(cells));
    }

    /// A rendering (`key` names format, filter and language) of `project` at `version`.
    pub fn rendered(&self, project: Uuid, version: i64, key: &str) -> Option<Bytes> {
        self.with(project, version, |e| e.rendered.get(key).cloned())
    }

    /// Remembers a rendering of `project` at `version`.
    pub fn put_rendered(&self, project: Uuid, version: i64, key: String, text: Bytes) {
        self.with(project, version, |e| {
            if e.rendered.len() >= MAX_RENDERED {
                e.rendered.clear();
            }
            e.rendered.insert(key, text);
        });
    }
}

impl MapFilter {
    /// A cache key for renderings of this filter in `format` (`json`, `html-zh-CN`, ...).
    pub fn cache_key(&self, format: &str) -> String {
        let status = self.status.map_or("", |s| s.as_str());
        let trade = self.trade.map_or("", |t| t.as_str());
        format!(
            "{format}|{status}|{trade}|{}",
            self.building.as_deref().unwrap_or("")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(building: &str, floor: i32, room: &str, status: &str) -> MapCell {
        MapCell {
            id: Uuid::new_v4(),
            building: building.into(),
            entrance: "1".into(),
            floor,
            room: room.into(),
            number: format!("{building}-1-{room}"),
            status: status.into(),
            overdue: false,
            trades: Vec::new(),
        }
    }

    #[test]
    fn groups_cells_and_counts_every_state() {
        let cells = vec![
            cell("1", 2, "201", "ready"),
            cell("1", 2, "202", "not_inspected"),
            cell("1", 1, "101", "ready"),
            cell("2", 1, "101", "delivered"),
        ];
        let map = StatusMap::build(Uuid::nil(), &cells, &MapFilter::default());
        assert_eq!(map.buildings.len(), 2);
        assert_eq!(map.buildings[0].entrances[0].floors.len(), 2);
        assert_eq!(map.buildings[0].entrances[0].floors[0].units.len(), 2);
        let ready = map
            .counts
            .iter()
            .find(|c| c.status == UnitStatus::Ready)
            .unwrap();
        assert_eq!(ready.count, 2);
        assert_eq!(map.counts.len(), 7);
    }

    #[test]
    fn filters_by_state_and_building_but_counts_within_building() {
        let cells = vec![
            cell("1", 1, "101", "ready"),
            cell("1", 1, "102", "not_inspected"),
            cell("2", 1, "101", "ready"),
        ];
        let filter = MapFilter {
            status: Some(UnitStatus::Ready),
            building: Some("1".into()),
            ..MapFilter::default()
        };
        let map = StatusMap::build(Uuid::nil(), &cells, &filter);
        let shown: usize = map
            .buildings
            .iter()
            .flat_map(|b| &b.entrances)
            .flat_map(|e| &e.floors)
            .map(|f| f.units.len())
            .sum();
        assert_eq!(shown, 1);
        let ready = map
            .counts
            .iter()
            .find(|c| c.status == UnitStatus::Ready)
            .unwrap();
        assert_eq!(ready.count, 1);
    }

    #[test]
    fn filters_by_trade_and_counts_each_trade() {
        let mut leaking = cell("1", 1, "101", "defects_open");
        leaking.trades = vec![Trade::Plumbing, Trade::Civil];
        let mut cracked = cell("1", 1, "102", "defects_open");
        cracked.trades = vec![Trade::Civil];
        let cells = vec![leaking, cracked, cell("1", 1, "103", "ready")];
        let filter = MapFilter {
            trade: Some(Trade::Plumbing),
            ..MapFilter::default()
        };
        let map = StatusMap::build(Uuid::nil(), &cells, &filter);
        let rooms: Vec<&str> = map.buildings[0].entrances[0].floors[0]
            .units
            .iter()
            .map(|u| u.room.as_str())
            .collect();
        assert_eq!(rooms, ["101"]);
        let count = |t| map.trades.iter().find(|c| c.trade == t).unwrap().count;
        assert_eq!((count(Trade::Civil), count(Trade::Plumbing)), (2, 1));
        assert_eq!(count(Trade::Electrical), 0);
        let open = map
            .counts
            .iter()
            .find(|c| c.status == UnitStatus::DefectsOpen);
        assert_eq!(open.unwrap().count, 1);
    }
}
