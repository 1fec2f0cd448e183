//! The languages the API answers problems and errors in (`Accept-Language`: zh-CN or en; the
//! district default otherwise, `wangge serve --language`), and every translated text.
//!
//! The engine keeps one English `message` per problem; the Chinese one is written here from the
//! problem's typed fields (kind, grids, area, measure, details), so the machine-readable `kind`
//! and `type` codes are the same in both languages. Fixed texts are [`Text`] keys, each with its
//! Chinese and English wording side by side, so that a missing translation is a compile error
//! rather than a silently English line.

use super::error::{ApiError, FieldError};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use wangge_engine::edit::EditError;
use wangge_engine::validate::{Problem, ProblemKind};
use wangge_engine::District;

/// A language the API answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Lang {
    #[default]
    #[serde(rename = "en")]
    En,
    #[serde(rename = "zh-CN")]
    ZhCn,
}

impl Lang {
    /// The tag sent as `Content-Language`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// `zh-CN`, `zh`, `en`, `en-GB`… (case-insensitive); anything else is not ours.
    pub fn parse(tag: &str) -> Option<Lang> {
        let t = tag.trim().to_ascii_lowercase();
        let primary = t.split('-').next().unwrap_or("");
        match primary {
            // Traditional-script tags are not served Simplified Chinese: the default applies.
            "zh" if t.contains("hant") || t == "zh-tw" || t == "zh-hk" => None,
            "zh" => Some(Lang::ZhCn),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language of an `Accept-Language` header (RFC 9110 §12.5.4): the highest q-value
    /// among the tags we serve (the first on a tie); `*` or nothing we serve: `default`.
    pub fn negotiate(header: Option<&str>, default: Lang) -> Lang {
        let Some(h) = header else {
            return default;
        };
        let mut best: Option<(f32, Lang)> = None;
        for item in h.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|v| v.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q <= 0.0 {
                continue;
            }
            let lang = if tag == "*" {
                Some(default)
            } else {
                Lang::parse(tag)
            };
            if let Some(l) = lang {
                if best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, l));
                }
            }
        }
        best.map_or(default, |(_, l)| l)
    }

    pub fn is_zh(self) -> bool {
        self == Lang::ZhCn
    }
}

/// The negotiated language, put into the request's extensions by the server's language layer.
impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Lang>().copied().unwrap_or_default())
    }
}

/// Marks a successful response whose texts were written in the negotiated language, so that the
/// language layer adds `Content-Language` and `Vary: Accept-Language`.
#[derive(Debug, Clone, Copy)]
pub struct Translated;

/// Fixed texts: problem titles and the details the web map shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    TitleBadInput,
    TitleNotFound,
    TitleUnauthorized,
    TitleForbidden,
    TitleOutsideArea,
    TitleStale,
    TitleConflict,
    TitleRefused,
    TitleTooLarge,
    TitleUnsupportedMedia,
    TitleMethodNotAllowed,
    TitleUnavailable,
    TitleInternal,
    TitleTimeout,
    TitleError,
    UnknownToken,
    TokenNeededToRead,
    TokenNeededToEdit,
    ViewerMayNotEdit,
    AdminNeeded,
    NoSuchResource,
    InternalFailure,
    StillLoading,
    YourAreas,
}

impl Text {
    /// (Chinese, English).
    fn pair(self) -> (&'static str, &'static str) {
        match self {
            Text::TitleBadInput => ("输入有误", "Bad input"),
            Text::TitleNotFound => ("未找到", "Not found"),
            Text::TitleUnauthorized => ("需要身份验证", "Authentication required"),
            Text::TitleForbidden => ("无权操作", "Forbidden"),
            Text::TitleOutsideArea => ("网格不在您的可编辑范围内", "Grid outside your areas"),
            Text::TitleStale => ("网格已被他人修改", "The grid was changed by someone else"),
            Text::TitleConflict => ("修改冲突", "Conflicting change"),
            Text::TitleRefused => ("编辑被拒绝", "Edit refused"),
            Text::TitleTooLarge => ("请求内容过大", "Request body too large"),
            Text::TitleUnsupportedMedia => ("不支持的内容类型", "Unsupported media type"),
            Text::TitleMethodNotAllowed => ("不支持该请求方法", "Method not allowed"),
            Text::TitleUnavailable => ("服务暂不可用", "Service unavailable"),
            Text::TitleInternal => ("服务器内部错误", "Internal server error"),
            Text::TitleTimeout => ("请求超时", "Request timeout"),
            Text::TitleError => ("错误", "Error"),
            Text::UnknownToken => ("令牌未知或已被吊销", "unknown or revoked token"),
            Text::TokenNeededToRead => (
                "本服务需要令牌才能查看：请发送 Authorization: Bearer <令牌>",
                "this service needs a token to read: send Authorization: Bearer <token>",
            ),
            Text::TokenNeededToEdit => (
                "编辑需要规划员或管理员令牌：请发送 Authorization: Bearer <令牌>",
                "editing needs a planner or admin token: send Authorization: Bearer <token>",
            ),
            Text::ViewerMayNotEdit => (
                "查看令牌只能查看，不能编辑；编辑需要规划员或管理员令牌",
                "a viewer token may read but not edit; editing needs a planner or admin token",
            ),
            Text::AdminNeeded => ("此操作需要管理员令牌", "this needs an admin token"),
            Text::NoSuchResource => ("没有该资源", "no such resource"),
            Text::InternalFailure => (
                "服务器处理请求失败，已记录日志",
                "the server failed to handle the request; it has been logged",
            ),
            Text::StillLoading => ("网格仍在加载", "the grids are still loading"),
            Text::YourAreas => ("您的可编辑范围", "your editable areas"),
        }
    }

    pub fn in_(self, lang: Lang) -> &'static str {
        let (zh, en) = self.pair();
        if lang.is_zh() {
            zh
        } else {
            en
        }
    }

    pub fn zh(self) -> &'static str {
        self.pair().0
    }

    pub fn en(self) -> &'static str {
        self.pair().1
    }

    /// The title of a problem type (`urn:wangge:problem:<slug>`).
    pub fn title_of(slug: &str) -> Text {
        match slug {
            "bad-input" => Text::TitleBadInput,
            "not-found" => Text::TitleNotFound,
            "unauthorized" => Text::TitleUnauthorized,
            "forbidden" => Text::TitleForbidden,
            "outside-area" => Text::TitleOutsideArea,
            "stale-version" => Text::TitleStale,
            "conflict" => Text::TitleConflict,
            "edit-refused" => Text::TitleRefused,
            "body-too-large" | "uri-too-long" | "headers-too-large" => Text::TitleTooLarge,
            "unsupported-media-type" => Text::TitleUnsupportedMedia,
            "method-not-allowed" => Text::TitleMethodNotAllowed,
            "unavailable" | "too-many-requests" => Text::TitleUnavailable,
            "request-timeout" => Text::TitleTimeout,
            "internal" => Text::TitleInternal,
            _ => Text::TitleError,
        }
    }
}

/// The Chinese name of an admin area (its code when the district does not know it).
pub fn area_name(d: &District, code: &str) -> String {
    d.area(code)
        .map(|a| a.name.clone())
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| code.to_string())
}

/// Area names joined for a sentence: "荷花池社区、上新社区".
pub fn area_names(d: &District, codes: &[String]) -> String {
    codes
        .iter()
        .map(|c| area_name(d, c))
        .collect::<Vec<_>>()
        .join("、")
}

fn ids(p: &Problem) -> String {
    p.grids
        .iter()
        .map(|g| g.0.as_str())
        .collect::<Vec<_>>()
        .join("、")
}

fn detail_f64(p: &Problem, key: &str) -> Option<f64> {
    p.details.get(key).and_then(serde_json::Value::as_f64)
}

fn detail_strs(p: &Problem, key: &str) -> Vec<String> {
    p.details
        .get(key)
        .and_then(serde_json::Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The Chinese name of a validation check (`details.check` of a failed check).
fn check_name(check: &str) -> &str {
    match check {
        "gaps" | "gap" => "空隙检查",
        "overlaps" | "overlap" => "重叠检查",
        "child_outside_parent" => "子网格越界检查",
        "crosses_community" => "跨社区检查",
        "split_buildings" => "建筑跨网格检查",
        "invalid_geometry" => "几何有效性检查",
        other => other,
    }
}

/// "，位于 (lon, lat) 附近": the point the engine's "near (lon, lat)" names, found the same way
/// (a point inside the problem's geometry), so a refusal can still be shown on the map.
fn near(p: &Problem) -> String {
    use geo::{BoundingRect, InteriorPoint};
    let Some(g) = &p.geometry else {
        return String::new();
    };
    let pt = g
        .interior_point()
        .or_else(|| g.bounding_rect().map(|r| geo::Point(r.center())));
    pt.map(|c| format!("，位于 ({:.5}, {:.5}) 附近", c.x(), c.y()))
        .unwrap_or_default()
}

/// A problem's message in `lang`: the engine's English one, or Chinese written from its fields
/// with the area named by its Chinese name.
pub fn problem_message(p: &Problem, d: &District, lang: Lang) -> String {
    if !lang.is_zh() {
        return p.message.clone();
    }
    let place = p
        .area
        .as_deref()
        .map(|c| format!("（{}）", area_name(d, c)))
        .unwrap_or_default();
    let place = format!("{place}{}", near(p));
    let v = p.measure.value;
    match p.kind {
        ProblemKind::Gap => format!("空隙 {v:.1} 平方米，未被任何基础网格覆盖{place}"),
        ProblemKind::Overlap => format!("网格 {} 之间重叠 {v:.1} 平方米{place}", ids(p)),
        ProblemKind::SliverGap => {
            let m2 = detail_f64(p, "area_m2").unwrap_or(0.0);
            format!("狭长空隙，宽 {v:.2} 米（{m2:.1} 平方米）{place}")
        }
        ProblemKind::SliverOverlap => {
            let m2 = detail_f64(p, "area_m2").unwrap_or(0.0);
            format!(
                "网格 {} 之间狭长重叠，宽 {v:.2} 米（{m2:.1} 平方米）{place}",
                ids(p)
            )
        }
        ProblemKind::ChildOutsideParent => format!(
            "网格 {} 中有 {v:.1} 平方米超出其所属基础网格{place}",
            ids(p)
        ),
        ProblemKind::CrossesCommunity => {
            format!("基础网格 {} 有 {v:.1} 平方米超出其所属社区{place}", ids(p))
        }
        ProblemKind::InvalidGeometry => {
            let errs = detail_strs(p, "errors");
            format!(
                "网格 {} 几何无效（{} 处错误）{place}：{}",
                ids(p),
                v as u64,
                errs.join("；")
            )
        }
        ProblemKind::SplitBuilding => format!(
            "建筑 {} 跨越网格 {}（{v:.1} 平方米在主网格之外）{place}",
            p.buildings.join("、"),
            ids(p)
        ),
        ProblemKind::HouseholdStandard => {
            let min = detail_f64(p, "min").unwrap_or(0.0);
            let max = detail_f64(p, "max").unwrap_or(0.0);
            format!(
                "网格 {} 有 {} 户，不在标准 {}–{} 户之内{place}",
                ids(p),
                v as u64,
                min as u64,
                max as u64
            )
        }
        ProblemKind::EmptyGrid => format!("在用基础网格 {} 没有建筑也没有住户{place}", ids(p)),
        ProblemKind::StatusSummary => {
            let reserved = detail_strs(p, "reserved");
            let suspended = detail_strs(p, "suspended");
            format!(
                "预留网格 {} 个［{}］，暂停网格 {} 个［{}］",
                reserved.len(),
                reserved.join("、"),
                suspended.len(),
                suspended.join("、")
            )
        }
        ProblemKind::CheckFailed => {
            let check = p
                .details
                .get("check")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("");
            let reason = p
                .details
                .get("reason")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("");
            format!(
                "{}无法对网格 {} 运行{place}：{reason}",
                check_name(check),
                ids(p)
            )
        }
    }
}

/// Rewrites the messages of `problems` in `lang` (nothing to do for English).
pub fn localize(problems: &mut [Problem], d: &District, lang: Lang) {
    if lang.is_zh() {
        for p in problems {
            p.message = problem_message(p, d, lang);
        }
    }
}

/// An edit the engine refused, with its Chinese detail (and, for problems it would create,
/// each problem's message in Chinese as the field reasons, like the English ones).
pub fn edit_error(e: EditError, d: &District) -> ApiError {
    use std::fmt::Write as _;
    let zh = match &e {
        EditError::UnknownGrid(id) => format!("网格 {id} 不存在（或已撤销）"),
        EditError::Conflict {
            grid,
            expected,
            actual,
        } => format!("网格 {grid} 已被他人修改：您编辑的是第 {expected} 版，当前为第 {actual} 版"),
        EditError::IdInUse(id) => format!("网格编号 {id} 已被使用"),
        EditError::CodeInUse(code) => format!("网格代码 {code} 已被使用"),
        EditError::UnknownParent { grid, parent } => {
            format!("网格 {grid} 的上级 {parent} 不存在")
        }
        EditError::NotAdjacent(a, b) => format!("网格 {a} 与 {b} 没有共同边界"),
        EditError::DifferentParents(a, b) => format!("网格 {a} 与 {b} 的上级不同"),
        EditError::DifferentLayers(a, b) => format!("网格 {a} 与 {b} 不在同一图层"),
        EditError::KeepNotMerged(id) => format!("要保留的网格 {id} 不在合并的网格之中"),
        EditError::LineDoesNotSplit(id) => format!("该线没有把网格 {id} 分成两部分"),
        EditError::LineSplitsIntoMany { grid, pieces } => {
            format!("该线把网格 {grid} 分成了 {pieces} 部分；请画一条只分成两部分的线")
        }
        EditError::NoVertexAt { x, y } => format!("({x}, {y}) 处没有网格边界顶点"),
        EditError::AmbiguousSharedBoundary(a, b) => {
            format!("网格 {a} 与 {b} 有多段共同边界；请改用重绘边界")
        }
        EditError::PathEndpoints(a, b) => {
            format!("{a} 与 {b} 之间的新边界必须起止于原共同边界的两端")
        }
        EditError::HasChildren { grid, children } => {
            let list: Vec<&str> = children.iter().map(|c| c.0.as_str()).collect();
            format!("网格 {grid} 仍有微网格/专属网格：{}", list.join("、"))
        }
        EditError::BreaksComposite { grid, composite } => {
            format!("编辑网格 {grid} 会破坏组合网格 {composite}")
        }
        EditError::InvalidGeometry { grid, reason } => {
            format!("网格 {grid} 的几何将无效：{reason}")
        }
        EditError::OutsideDistrict { grid, reason } => {
            format!("网格 {grid} 将超出辖区：{reason}")
        }
        EditError::DateBeforeVersion {
            grid,
            date,
            current_from,
        } => format!(
            "编辑日期 {date} 早于网格 {grid} 当前版本的起始日期 {current_from}；请选择该日或之后的日期"
        ),
        EditError::BreaksHierarchy(problems) => {
            // The same line layout as the English detail, which the web map reads.
            let mut s = "此编辑会破坏网格层级：".to_string();
            for p in problems {
                let _ = write!(
                    s,
                    "\n  {:<7} {:<22} {}",
                    p.severity.as_str(),
                    p.kind.as_str(),
                    problem_message(p, d, Lang::ZhCn)
                );
            }
            s
        }
        EditError::Apply { .. } => Text::InternalFailure.zh().to_string(),
    };
    let errors_zh: Vec<FieldError> = match &e {
        EditError::BreaksHierarchy(problems) => problems
            .iter()
            .map(|p| FieldError {
                field: p.kind.as_str().to_string(),
                reason: problem_message(p, d, Lang::ZhCn),
            })
            .collect(),
        _ => vec![],
    };
    let a = ApiError::from(e).with_zh(zh);
    if errors_zh.is_empty() {
        a
    } else {
        a.with_zh_errors(errors_zh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_highest_q_we_serve_and_falls_back_to_the_default() {
        assert_eq!(Lang::negotiate(None, Lang::ZhCn), Lang::ZhCn);
        assert_eq!(Lang::negotiate(Some("en"), Lang::ZhCn), Lang::En);
        assert_eq!(
            Lang::negotiate(Some("zh-CN,en;q=0.5"), Lang::En),
            Lang::ZhCn
        );
        assert_eq!(
            Lang::negotiate(Some("zh-CN;q=0.4, en;q=0.8"), Lang::ZhCn),
            Lang::En
        );
        assert_eq!(
            Lang::negotiate(Some("fr, de;q=0.9"), Lang::ZhCn),
            Lang::ZhCn
        );
        assert_eq!(Lang::negotiate(Some("fr, de;q=0.9"), Lang::En), Lang::En);
        assert_eq!(Lang::negotiate(Some("en;q=0"), Lang::ZhCn), Lang::ZhCn);
        assert_eq!(Lang::negotiate(Some("zh-TW"), Lang::En), Lang::En);
        assert_eq!(Lang::negotiate(Some("EN-gb"), Lang::ZhCn), Lang::En);
    }
}
