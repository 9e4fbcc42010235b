//! Checklist administration pages: the template list and template page in both languages, the
//! copy / edit / add / remove forms each writing a new version (the old one untouched), forms
//! keeping what was typed on error, phrases, and admins only.

use crate::common;

use common::{TestApp, hidden, spawn_app, text};
use handover::checklists::repo::{self, UNIT_TEMPLATE_ID};
use handover::checklists::{ItemKind, Scope, TemplateVersion};
use reqwest::{Client, StatusCode};
use uuid::Uuid;

fn location(resp: &reqwest::Response) -> String {
    resp.headers()[reqwest::header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned()
}

async fn post(c: &Client, app: &TestApp, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    c.post(app.url(path)).form(form).send().await.unwrap()
}

async fn latest(app: &TestApp, template: Uuid) -> TemplateVersion {
    let mut conn = app.db.read().await.unwrap();
    let id = repo::latest_version_id(&mut conn, template).await.unwrap();
    repo::version(&mut conn, id).await.unwrap()
}

/// UI labels of the zh-CN pages that must not appear in English (none of them is in the shipped
/// data, which stays Chinese in both languages).
const ZH_LABELS: &[&str] = &[
    "检查表模板",
    "随产品提供",
    "当前版本",
    "常用问题描述",
    "复制到本项目",
    "版本历史",
    "最大偏差倍数",
    "依据标准",
    "可信度",
    "土建",
    "检测点数",
    "修改说明",
    "分户自检",
    "退出",
];

/// English labels that must not appear in the zh-CN pages.
const EN_LABELS: &[&str] = &[
    "Checklist templates",
    "Shipped default",
    "Copy into this project",
    "Tolerance",
    "Version history",
    "Pass rate",
    "Civil works",
    "Plumbing",
    "Log out",
];

#[tokio::test]
async fn admin_pages_render_in_chinese_and_english_without_leaking_the_other() {
    let app = spawn_app().await;
    let project = app.demo.project_id;
    let c = app.page_login("admin").await;

    let (status, zh) = text(&c, &app, &format!("/projects/{project}/checklists")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(zh.contains("<html lang=\"zh-CN\">"));
    for want in [
        "检查表模板",
        "分户验收（毛坯）默认检查表",
        "公区承接查验默认检查表",
        "随产品提供",
        "本项目分户验收使用中",
        "本项目公区查验使用中",
        "地漏水封不足",
        "常用问题描述",
    ] {
        assert!(zh.contains(want), "list page lacks {want}");
    }
    assert!(zh.contains(&format!(
        "href=\"/projects/{project}/checklists/{UNIT_TEMPLATE_ID}\""
    )));
    let (_, en) = text(&c, &app, &format!("/projects/{project}/checklists?lang=en")).await;
    assert!(en.contains("<html lang=\"en\">"));
    assert!(en.contains("Checklist templates") && en.contains("Shipped default"));
    for label in ZH_LABELS {
        assert!(!en.contains(label), "English list page has {label}");
    }
    for label in EN_LABELS {
        assert!(!zh.contains(label), "Chinese list page has {label}");
    }

    let page = format!("/projects/{project}/checklists/{UNIT_TEMPLATE_ID}");
    let (status, zh) = text(&c, &app, &page).await;
    assert_eq!(status, StatusCode::OK);
    for want in [
        "分户验收（毛坯）默认检查表",
        "第 1 版",
        "随产品提供的默认版本",
        "墙面表面平整度（普通抹灰）",
        "GB 50210-2018 表4.2.10",
        "≤ 4 mm",
        "80.0%",
        "1.5×",
        "≥ 2.4 m",
        "−5 ~ +10 mm",
        "待核实",
        "土建",
        "给排水",
        "复制到本项目",
        "版本历史",
        "项目管理",
    ] {
        assert!(zh.contains(want), "template page lacks {want}");
    }
    // A shipped template offers no edit forms.
    assert!(!zh.contains("id=\"add-form\""));
    assert!(!zh.contains("/remove\""));
    let (_, en) = text(&c, &app, &format!("{page}?lang=en")).await;
    for want in [
        "Copy into this project",
        "Civil works",
        "Tolerance",
        "Version 1",
        "Default version shipped with the product",
        "GB 50210-2018 表4.2.10",
    ] {
        assert!(en.contains(want), "English template page lacks {want}");
    }
    for label in ZH_LABELS {
        assert!(!en.contains(label), "English template page has {label}");
    }
    for label in EN_LABELS {
        assert!(!zh.contains(label), "Chinese template page has {label}");
    }
}

/// Copies the shipped unit template through the page; returns the new template's id.
async fn copy_by_page(app: &TestApp, c: &Client, name: &str) -> Uuid {
    let project = app.demo.project_id;
    let page = format!("/projects/{project}/checklists/{UNIT_TEMPLATE_ID}");
    let (_, html) = text(c, app, &page).await;
    let csrf = hidden(&html, "_csrf");
    let resp = post(
        c,
        app,
        &format!("{page}/copy"),
        &[("_csrf", &csrf), ("name", name)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let to = location(&resp);
    let id = to
        .trim_start_matches(&format!("/projects/{project}/checklists/"))
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let (_, html) = text(c, app, &to).await;
    assert!(html.contains("已复制到本项目，现在可以修改"), "{to}");
    assert!(html.contains(name));
    assert!(html.contains("id=\"add-form\""));
    id
}

/// The edit form's fields for `item` of `v`, with `changes` applied.
fn edit_form<'a>(
    v: &'a TemplateVersion,
    item: usize,
    csrf: &'a str,
    changes: &[(&'a str, &'a str)],
) -> Vec<(&'a str, String)> {
    let i = &v.items[item];
    let spec = i.def.kind.spec().expect("a measured item");
    let num = |x: Option<f64>| x.map(|x| x.to_string()).unwrap_or_default();
    let mut form: Vec<(&str, String)> = vec![
        ("_csrf", csrf.to_owned()),
        ("base", v.id.to_string()),
        ("item", i.id.to_string()),
        ("trade", i.def.trade.as_str().to_owned()),
        ("room", i.def.room.clone()),
        ("part", i.def.part.clone()),
        ("name", i.def.name.clone()),
        ("kind", "measured".to_owned()),
        ("unit", spec.unit.clone()),
        ("lower", num(spec.lower)),
        ("upper", num(spec.upper)),
        ("points", spec.points.to_string()),
        ("pass_rate", (spec.pass_rate * 100.0).to_string()),
        ("max_factor", spec.max_factor.to_string()),
        ("tool", i.def.tool.clone()),
        ("method", i.def.method.clone()),
        ("standard", i.def.standard.clone()),
        (
            "confidence",
            i.def
                .confidence
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default(),
        ),
    ];
    for (k, v) in changes {
        form.retain(|(f, _)| f != k);
        form.push((k, (*v).to_owned()));
    }
    form
}

async fn post_owned(
    c: &Client,
    app: &TestApp,
    path: &str,
    form: &[(&str, String)],
) -> reqwest::Response {
    c.post(app.url(path)).form(form).send().await.unwrap()
}

#[tokio::test]
async fn each_form_save_writes_a_new_version_and_keeps_the_old_one() {
    let app = spawn_app().await;
    let project = app.demo.project_id;
    let c = app.page_login("admin").await;
    let tid = copy_by_page(&app, &c, "滨江花园分户验收表").await;
    let page = format!("/projects/{project}/checklists/{tid}");
    let v1 = latest(&app, tid).await;
    assert_eq!(v1.version, 1);
    let plaster = v1
        .items
        .iter()
        .position(|i| i.def.name == "墙面表面平整度（普通抹灰）")
        .unwrap();

    // The edit form opens prefilled.
    let item_id = v1.items[plaster].id;
    let (_, html) = text(&c, &app, &format!("{page}?edit={item_id}")).await;
    assert!(html.contains("id=\"edit-form\""));
    assert!(html.contains("value=\"墙面表面平整度（普通抹灰）\""));
    let csrf = hidden(&html, "_csrf");

    // Edit: 4 mm → 3 mm, 高级抹灰.
    let form = edit_form(
        &v1,
        plaster,
        &csrf,
        &[("upper", "3"), ("name", "墙面表面平整度（高级抹灰）")],
    );
    let resp = post_owned(&c, &app, &format!("{page}/edit"), &form).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let to = location(&resp);
    assert_eq!(to, format!("{page}?saved=2"));
    let (_, html) = text(&c, &app, &to).await;
    assert!(html.contains("已保存为第 2 版"), "{html}");
    assert!(html.contains("墙面表面平整度（高级抹灰）"));
    assert!(html.contains("修改检查项：墙面表面平整度（高级抹灰）"));
    let v2 = latest(&app, tid).await;
    assert_eq!(v2.version, 2);
    assert_eq!(v2.items.len(), v1.items.len());
    assert_eq!(v2.items[plaster].def.name, "墙面表面平整度（高级抹灰）");
    assert_eq!(v2.items[plaster].def.kind.spec().unwrap().upper, Some(3.0));
    // Version 1 is exactly as it was.
    let v1_again = repo::version(&mut app.db.read().await.unwrap(), v1.id)
        .await
        .unwrap();
    assert_eq!(v1_again.items, v1.items);
    let (_, old) = text(&c, &app, &format!("{page}?version=1")).await;
    assert!(old.contains("正在查看第 1 版"));
    assert!(old.contains("墙面表面平整度（普通抹灰）"));
    assert!(!old.contains("id=\"add-form\""));

    // A refused edit keeps what was typed and says why; nothing is written.
    let form = edit_form(
        &v2,
        plaster,
        &csrf,
        &[("lower", "5"), ("upper", "3"), ("method", "我刚输入的说明")],
    );
    let resp = post_owned(&c, &app, &format!("{page}/edit"), &form).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("下限不能大于上限"), "{html}");
    assert!(html.contains("id=\"edit-form\""));
    assert!(html.contains("value=\"5\""));
    assert!(html.contains("我刚输入的说明"));
    assert_eq!(latest(&app, tid).await.version, 2);
    let form = edit_form(&v2, plaster, &csrf, &[("upper", "abc")]);
    let html = post_owned(&c, &app, &format!("{page}/edit"), &form)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("上限：格式不正确"), "{html}");

    // An edit made from version 1 is stale.
    let form = edit_form(&v1, plaster, &csrf, &[("upper", "2")]);
    let html = post_owned(&c, &app, &format!("{page}/edit"), &form)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("检查表已有更新的版本"), "{html}");
    assert_eq!(latest(&app, tid).await.version, 2);

    // Remove an item → version 3.
    let gone = &v2.items[0];
    let resp = post(
        &c,
        &app,
        &format!("{page}/remove"),
        &[
            ("_csrf", &csrf),
            ("base", &v2.id.to_string()),
            ("item", &gone.id.to_string()),
        ],
    )
    .await;
    assert_eq!(location(&resp), format!("{page}?saved=3"));
    let v3 = latest(&app, tid).await;
    assert_eq!(v3.items.len(), v2.items.len() - 1);
    assert_eq!(v3.items[0].def, v2.items[1].def);

    // Add an item → version 4, next to its trade and room.
    let add = [
        ("_csrf", csrf.as_str()),
        ("base", &v3.id.to_string()),
        ("trade", "electrical"),
        ("room", "户配电箱"),
        ("name", "配电箱安装高度"),
        ("kind", "measured"),
        ("unit", "m"),
        ("lower", "1.6"),
        ("upper", "1.8"),
        ("points", "1"),
        ("pass_rate", "100"),
        ("max_factor", "1"),
        ("standard", ""),
        ("confidence", "low"),
    ];
    let resp = post(&c, &app, &format!("{page}/add"), &add).await;
    assert_eq!(location(&resp), format!("{page}?saved=4"));
    let v4 = latest(&app, tid).await;
    let at = v4
        .items
        .iter()
        .position(|i| i.def.name == "配电箱安装高度")
        .unwrap();
    assert_eq!(v4.items[at - 1].def.room, "户配电箱");
    let ItemKind::Measured(spec) = &v4.items[at].def.kind else {
        panic!()
    };
    assert_eq!(
        (spec.lower, spec.upper, spec.pass_rate, spec.max_factor),
        (Some(1.6), Some(1.8), 1.0, 1.0)
    );
    // An add missing its name keeps the rest of the form.
    let mut bad = add.to_vec();
    let v4_id = v4.id.to_string();
    bad.retain(|(k, _)| *k != "name" && *k != "base");
    bad.push(("name", ""));
    bad.push(("base", &v4_id));
    bad.retain(|(k, _)| *k != "room");
    bad.push(("room", "我输入的房间"));
    let html = post(&c, &app, &format!("{page}/add"), &bad)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("检查项名称：必填"), "{html}");
    assert!(html.contains("value=\"我输入的房间\""));
    assert_eq!(latest(&app, tid).await.version, 4);

    // Choose it for self-inspection.
    let (_, html) = text(&c, &app, &page).await;
    assert!(html.contains("设为本项目分户验收用表"));
    assert!(html.contains("设为本项目公区查验用表"));
    let select = [("_csrf", csrf.as_str()), ("scope", "unit")];
    let resp = post(&c, &app, &format!("{page}/select"), &select).await;
    assert_eq!(location(&resp), format!("{page}?selected=1"));
    let chosen = |scope| {
        let db = app.db.clone();
        async move {
            repo::default_version_for(&mut db.read().await.unwrap(), project, scope)
                .await
                .unwrap()
        }
    };
    assert_eq!(chosen(Scope::Unit).await, v4.id);
    assert_ne!(chosen(Scope::CommonArea).await, v4.id);
    let (_, html) = text(&c, &app, &location(&resp)).await;
    assert!(html.contains("本项目分户验收使用中"));
    assert!(!html.contains("设为本项目分户验收用表"));
    let (_, list) = text(&c, &app, &format!("/projects/{project}/checklists")).await;
    assert!(list.contains("滨江花园分户验收表"));
    assert!(list.contains("第 4 版"));
    assert!(list.contains("本项目分户验收使用中"));
    assert!(list.contains("本项目公区查验使用中"));

    // The shipped template is unchanged throughout.
    let shipped = latest(&app, UNIT_TEMPLATE_ID).await;
    assert_eq!(shipped.version, 1);
    assert_eq!(shipped.items.len(), v1.items.len());
}

#[tokio::test]
async fn phrases_are_added_and_removed_on_the_list_page() {
    let app = spawn_app().await;
    let project = app.demo.project_id;
    let c = app.page_login("admin").await;
    let list = format!("/projects/{project}/checklists");
    let (_, html) = text(&c, &app, &list).await;
    let csrf = hidden(&html, "_csrf");
    let resp = post(
        &c,
        &app,
        &format!("/projects/{project}/phrases/add"),
        &[
            ("_csrf", &csrf),
            ("trade", "electrical"),
            ("text", "强电箱门变形"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, html) = text(&c, &app, &location(&resp)).await;
    assert!(html.contains("强电箱门变形 ✕"));
    assert!(html.contains("已保存"));
    // A duplicate is refused with the text kept.
    let html = post(
        &c,
        &app,
        &format!("/projects/{project}/phrases/add"),
        &[
            ("_csrf", &csrf),
            ("trade", "electrical"),
            ("text", "强电箱门变形"),
        ],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(html.contains("该名称已存在"));
    assert!(html.contains("value=\"强电箱门变形\""));
    let phrases = repo::phrases(
        &mut app.db.read().await.unwrap(),
        project,
        Some(handover::checklists::Trade::Electrical),
    )
    .await
    .unwrap();
    assert_eq!(phrases[0].text, "强电箱门变形");
    let resp = post(
        &c,
        &app,
        &format!("/projects/{project}/phrases/remove"),
        &[("_csrf", &csrf), ("phrase", &phrases[0].id.to_string())],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, html) = text(&c, &app, &list).await;
    assert!(!html.contains("强电箱门变形"));
    // A shipped phrase cannot be removed.
    let resp = post(
        &c,
        &app,
        &format!("/projects/{project}/phrases/remove"),
        &[("_csrf", &csrf), ("phrase", &phrases[1].id.to_string())],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn only_admins_of_the_project_reach_the_pages() {
    let app = spawn_app().await;
    let project = app.demo.project_id;
    let list = format!("/projects/{project}/checklists");
    let page = format!("{list}/{UNIT_TEMPLATE_ID}");
    for user in ["inspector", "contractor", "executive"] {
        let c = app.page_login(user).await;
        let (status, html) = text(&c, &app, &list).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user}");
        assert!(html.contains("您没有执行此操作的权限"));
        let (status, _) = text(&c, &app, &page).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user}");
        // Their forms are refused too, with a valid CSRF token.
        let (_, projects) = text(&c, &app, "/projects").await;
        let csrf = hidden(&projects, "_csrf");
        let resp = post(
            &c,
            &app,
            &format!("{page}/copy"),
            &[("_csrf", &csrf), ("name", "越权复制")],
        )
        .await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{user}");
        let resp = post(
            &c,
            &app,
            &format!("/projects/{project}/phrases/add"),
            &[("_csrf", &csrf), ("trade", "civil"), ("text", "越权")],
        )
        .await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{user}");
    }
    let list_of = repo::list_templates(&mut app.db.read().await.unwrap(), project)
        .await
        .unwrap();
    assert_eq!(list_of.len(), 2);

    // The other project's admin sees nothing of the demo project.
    let c = app.page_login("other-admin").await;
    let (status, html) = text(&c, &app, &list).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!html.contains("滨江花园"));
    // And the admin's own project cannot show the other's templates.
    let admin = app.page_login("admin").await;
    let other_copy = {
        let mut tx = app.db.begin().await.unwrap();
        let user = handover::auth::repo::user_id(&mut tx, "other-admin")
            .await
            .unwrap()
            .unwrap();
        let id = repo::copy_to_project(
            &mut tx,
            UNIT_TEMPLATE_ID,
            app.other_project,
            "广州项目分户验收表",
            user,
            handover::clock::now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        id
    };
    let (status, html) = text(&admin, &app, &format!("{list}/{other_copy}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!html.contains("广州项目分户验收表"));
    // Without the CSRF token a post is refused.
    let resp = post(&admin, &app, &format!("{page}/copy"), &[("name", "无令牌")]).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        repo::list_templates(&mut app.db.read().await.unwrap(), project)
            .await
            .unwrap()
            .len(),
        2
    );
}
