import io

import pytest
from sqlalchemy.orm import Session

from app.accounts.rules import Actor, Role
from app.audit.service import timeline
from app.cycles import categories
from app.cycles.access import system_actor
from app.cycles.models import Cycle
from app.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from app.imports.models import ImportBatch
from app.orgs.models import Organisation
from app.questionnaires import editor, transfer
from app.questionnaires import service as questionnaires
from app.questionnaires.models import Item, Questionnaire
from tests.factories import SMALL_QUESTIONNAIRE, Factory
from tests.sql import counting

CSV = SMALL_QUESTIONNAIRE.encode()


def setup(factory: Factory, **kw: object) -> tuple[Organisation, Cycle, Actor]:
    org = factory.commission()
    cycle = factory.cycle(org, **kw)  # type: ignore[arg-type]
    return org, cycle, factory.actor(factory.user(org, Role.SEKRETARIAT), org)


def only_questionnaire(db: Session, cycle: Cycle) -> Questionnaire:
    (q,) = questionnaires.list_questionnaires(db, cycle)
    return q


def item(db: Session, q: Questionnaire, code: str) -> Item:
    return next(i for i in questionnaires.load_tree(db, q).items if i.code == code)


# --- import and export -------------------------------------------------------------------------


def test_a_valid_file_is_previewed_then_imported_and_serves_every_category(
    factory: Factory, db: Session
) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, ready=False)
    categories.add_catalogue_categories(db, system_actor(org.id), cycle)
    actor = factory.actor(factory.user(org, Role.SEKRETARIAT), org)
    preview = transfer.preview_import(db, actor, cycle, "kuesioner.csv", CSV)
    assert preview.ok and preview.batch_id
    assert (preview.count("indicator"), preview.count("group"), preview.count("item")) == (2, 1, 5)
    q = transfer.apply_import(db, actor, cycle, preview.batch_id, name="Kuesioner 2025")
    assert q.name == "Kuesioner 2025" and q.source_filename == "kuesioner.csv"
    assert all(c.questionnaire_id == q.id for c in categories.categories_of(db, cycle))
    spec = questionnaires.load_spec(db, q)
    assert [(i.code, i.weight, len(i.items)) for i in spec.indicators] == [
        ("1", 40, 2),
        ("2", 60, 3),
    ]
    choice = spec.indicators[0].items[0]
    assert [o.label for o in choice.options] == ["Bulanan", "Tahunan", "Tidak"]
    assert timeline(db, "questionnaire", q.id)[-1].action == "questionnaire.imported"
    with pytest.raises(Conflict):
        transfer.apply_import(db, actor, cycle, preview.batch_id, name="Lagi")


def test_a_file_with_one_bad_row_imports_nothing(factory: Factory, db: Session) -> None:
    _org, cycle, actor = setup(factory)
    bad = SMALL_QUESTIONNAIRE.replace(
        "2.1.1,2.1,item,Profil badan publik,1,yes_no,,link,,all,",
        "2.1.1,2.1,item,Profil badan publik,1,yes_no,,link,,kementerian,",
    )
    preview = transfer.preview_import(db, actor, cycle, "k.csv", bad.encode())
    assert not preview.ok and preview.batch_id is None
    assert preview.error_count == 1
    (row,) = [r for r in preview.rows if r.errors]
    assert row.line == 7 and "Kategori tidak dikenal: kementerian" in row.messages[0]
    assert len(questionnaires.list_questionnaires(db, cycle)) == 1


def test_a_file_without_the_required_columns_is_refused_whole(
    factory: Factory, db: Session
) -> None:
    _org, cycle, actor = setup(factory)
    with pytest.raises(ValidationFailed, match="Kolom wajib tidak ada: kind, weight"):
        transfer.preview_import(db, actor, cycle, "k.csv", b"code,parent,text\n1,,A\n")


def test_a_batch_belongs_to_its_cycle(factory: Factory, db: Session) -> None:
    org, cycle, actor = setup(factory)
    other = factory.cycle(org)
    preview = transfer.preview_import(db, actor, cycle, "k.csv", CSV)
    assert preview.batch_id
    with pytest.raises(NotFound):
        transfer.apply_import(db, actor, other, preview.batch_id, name="X")


def test_the_export_imports_again_unchanged(factory: Factory, db: Session) -> None:
    org, cycle, actor = setup(factory)
    q = only_questionnaire(db, cycle)
    data = transfer.export_xlsx(db, q)
    other = factory.cycle(org, ready=False)
    categories.add_catalogue_categories(db, actor, other)
    preview = transfer.preview_import(db, actor, other, "ekspor.xlsx", data)
    assert preview.ok, [r.messages for r in preview.rows] + preview.file_errors
    assert preview.batch_id
    copy = transfer.apply_import(db, actor, other, preview.batch_id, name="Salinan")
    rows = [r.as_mapping() for r in questionnaires.to_rows(questionnaires.load_tree(db, copy))]
    assert rows == [r.as_mapping() for r in questionnaires.to_rows(questionnaires.load_tree(db, q))]


def test_an_xlsx_made_by_hand_is_read_like_a_csv(factory: Factory, db: Session) -> None:
    from openpyxl import Workbook

    _org, cycle, actor = setup(factory)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    import csv

    for row in csv.reader(io.StringIO(SMALL_QUESTIONNAIRE)):
        ws.append([int(c) if c.isdigit() and len(row) and row[4] == c else c for c in row])
    buf = io.BytesIO()
    wb.save(buf)
    preview = transfer.preview_import(db, actor, cycle, "kuesioner.xlsx", buf.getvalue())
    assert preview.ok, [r.messages for r in preview.rows]


def test_an_unfrozen_questionnaire_can_be_replaced_by_a_file(factory: Factory, db: Session) -> None:
    _org, cycle, actor = setup(factory)
    q = only_questionnaire(db, cycle)
    smaller = "\n".join(SMALL_QUESTIONNAIRE.splitlines()[:4]).replace(",40,", ",100,") + "\n"
    preview = transfer.preview_import(db, actor, cycle, "k.csv", smaller.encode())
    assert preview.ok and preview.batch_id
    same = transfer.apply_import(db, actor, cycle, preview.batch_id, name="", replace_id=q.id)
    assert same.id == q.id
    assert [i.code for i in questionnaires.load_spec(db, q).items] == ["1.1", "1.2"]


def test_a_frozen_questionnaire_cannot_be_replaced_by_a_file(factory: Factory, db: Session) -> None:
    _org, cycle, actor = setup(factory, is_open=True)
    q = only_questionnaire(db, cycle)
    preview = transfer.preview_import(db, actor, cycle, "k.csv", CSV)
    assert preview.batch_id
    with pytest.raises(InvalidTransition, match="sudah dibekukan"):
        transfer.apply_import(db, actor, cycle, preview.batch_id, name="", replace_id=q.id)


def test_only_the_sekretariat_imports(factory: Factory, db: Session) -> None:
    org, cycle, _ = setup(factory)
    komisioner = factory.actor(factory.user(org, Role.KOMISIONER), org)
    with pytest.raises(Forbidden):
        transfer.preview_import(db, komisioner, cycle, "k.csv", CSV)


def test_an_import_needs_categories_in_the_cycle(factory: Factory, db: Session) -> None:
    org = factory.commission()
    cycle = factory.cycle(org, ready=False)
    actor = factory.actor(factory.user(org, Role.SEKRETARIAT), org)
    preview = transfer.preview_import(db, actor, cycle, "k.csv", CSV)
    assert "Siklus belum memiliki kategori: tambahkan kategori dulu." in preview.file_errors
    assert db.query(ImportBatch).count() == 0


# --- what a body answers -----------------------------------------------------------------------


def test_a_body_gets_only_the_items_of_its_category(factory: Factory, db: Session) -> None:
    org, cycle, _ = setup(factory)
    pemkab, opd = categories.categories_of(db, cycle)
    a = categories.list_targets(db, cycle, pemkab)[0]
    b = categories.list_targets(db, cycle, opd)[0]
    mine = questionnaires.questionnaire_for_body(db, cycle, a.id)
    theirs = questionnaires.questionnaire_for_body(db, cycle, b.id)
    assert mine is not None and theirs is not None
    assert [i.code for i in mine.spec.items] == ["1.1", "1.2", "2.1.1", "2.1.3"]
    assert [i.code for i in theirs.spec.items] == ["1.1", "1.2", "2.1.1", "2.1.2", "2.1.3"]
    assert mine.category_code == "pemkab_pemkot"
    assert sum(i.weight for i in mine.spec.indicators[1].items) == 2
    assert mine.spec.indicators[1].items[0].group_title == "Informasi berkala"
    assert questionnaires.questionnaire_for_body(db, cycle, factory.body(org).id) is None


# --- freezing, the editor and versions ---------------------------------------------------------


def test_questionnaires_freeze_once_the_open_cycle_reaches_its_saq(
    factory: Factory, db: Session
) -> None:
    org = factory.commission()
    assert not questionnaires.is_frozen(db, factory.cycle(org))  # draft
    assert questionnaires.is_frozen(db, factory.cycle(org, is_open=True))
    assert not questionnaires.is_frozen(db, factory.cycle(org, is_open=True, saq_open=False))


ITEM = {
    "code": "2.1.4",
    "parent": "2.1",
    "text": "Rencana pengadaan barang dan jasa",
    "weight": "1",
    "answer_type": "yes_no",
    "evidence": "link",
    "applies_to": "all",
}


def test_the_editor_adds_and_changes_nodes_before_the_freeze(factory: Factory, db: Session) -> None:
    _org, cycle, actor = setup(factory)
    q = only_questionnaire(db, cycle)
    new = editor.save_node(db, actor, q, "item", ITEM)
    assert isinstance(new, Item) and new.group_id is not None
    changed = editor.save_node(db, actor, q, "item", {**ITEM, "weight": "3"}, node_id=new.id)
    assert changed.id == new.id and changed.weight == 3
    assert q.version == 1 and questionnaires.list_versions(db, q) == []
    assert timeline(db, "questionnaire", q.id)[-1].action == "questionnaire.node_saved"
    editor.remove_node(db, actor, q, "item", new.id)
    assert "2.1.4" not in [i.code for i in questionnaires.load_tree(db, q).items]


def test_the_editor_explains_a_bad_field(factory: Factory, db: Session) -> None:
    _org, cycle, actor = setup(factory)
    q = only_questionnaire(db, cycle)
    with pytest.raises(ValidationFailed) as exc:
        editor.save_node(
            db, actor, q, "item", {**ITEM, "code": "1.1", "weight": "0", "applies_to": "x"}
        )
    assert set(exc.value.field_errors) == {"code", "weight", "applies_to"}


def test_renaming_a_group_code_keeps_its_items(factory: Factory, db: Session) -> None:
    _org, cycle, actor = setup(factory)
    q = only_questionnaire(db, cycle)
    group = questionnaires.load_tree(db, q).groups[0]
    form = editor.node_form(db, q, group)
    editor.save_node(db, actor, q, "group", {**form, "code": "2.9"}, node_id=group.id)
    rows = questionnaires.to_rows(questionnaires.load_tree(db, q))
    assert [r.parent for r in rows if r.code.startswith("2.1.")] == ["2.9", "2.9", "2.9"]


def test_moving_a_group_moves_its_items_to_the_new_indicator(factory: Factory, db: Session) -> None:
    _org, cycle, actor = setup(factory)
    q = only_questionnaire(db, cycle)
    tree = questionnaires.load_tree(db, q)
    group = tree.groups[0]
    editor.save_node(
        db, actor, q, "group", {**editor.node_form(db, q, group), "parent": "1"}, node_id=group.id
    )
    spec = questionnaires.load_spec(db, q)
    assert [i.code for i in spec.indicators[0].items] == ["1.1", "1.2", "2.1.1", "2.1.2", "2.1.3"]
    assert spec.indicators[1].items == ()


def test_a_change_that_breaks_another_row_is_refused(factory: Factory, db: Session) -> None:
    _org, cycle, actor = setup(factory)
    q = only_questionnaire(db, cycle)
    ind = questionnaires.load_tree(db, q).indicators[1]
    form = editor.node_form(db, q, ind)
    with pytest.raises(ValidationFailed, match="membuat bagian lain tidak valid"):
        editor.save_node(
            db, actor, q, "indicator", {**form, "applies_to": "pemkab_pemkot"}, node_id=ind.id
        )


def test_a_node_with_children_is_not_deleted(factory: Factory, db: Session) -> None:
    _org, cycle, actor = setup(factory)
    q = only_questionnaire(db, cycle)
    tree = questionnaires.load_tree(db, q)
    with pytest.raises(InvalidTransition, match="masih berisi"):
        editor.remove_node(db, actor, q, "indicator", tree.indicators[0].id)
    with pytest.raises(InvalidTransition, match="masih berisi"):
        editor.remove_node(db, actor, q, "group", tree.groups[0].id)
    empty = editor.save_node(
        db, actor, q, "group", {"code": "2.2", "parent": "2", "text": "Serta merta"}
    )
    editor.remove_node(db, actor, q, "group", empty.id)


def test_after_the_freeze_a_change_needs_a_reason_and_makes_a_version(
    factory: Factory, db: Session
) -> None:
    _org, cycle, actor = setup(factory, is_open=True)
    q = only_questionnaire(db, cycle)
    target = item(db, q, "1.2")
    form = editor.node_form(db, q, target)
    with pytest.raises(ValidationFailed) as exc:
        editor.save_node(db, actor, q, "item", {**form, "weight": "2"}, node_id=target.id)
    assert "reason" in exc.value.field_errors
    saved = editor.save_node(
        db, actor, q, "item", {**form, "weight": "2"}, node_id=target.id, reason="Salah ketik bobot"
    )
    assert saved.id == target.id  # answers stay attached to the same item
    assert q.version == 2
    v2, v1 = questionnaires.list_versions(db, q)
    assert (v1.number, v2.number, v2.reason) == (1, 2, "Salah ketik bobot")
    assert next(r for r in v1.snapshot if r["code"] == "1.2")["weight"] == "1"
    assert next(r for r in v2.snapshot if r["code"] == "1.2")["weight"] == "2"
    assert next(r for r in v2.snapshot if r["code"] == "1.2")["item_id"] == target.id
    event = timeline(db, "questionnaire", q.id)[-1]
    assert event.after["reason"] == "Salah ketik bobot"  # type: ignore[index]
    assert event.before["weight"] == "1"  # type: ignore[index]


def test_after_the_freeze_an_item_is_withdrawn_not_deleted(factory: Factory, db: Session) -> None:
    _org, cycle, actor = setup(factory, is_open=True)
    q = only_questionnaire(db, cycle)
    target = item(db, q, "2.1.1")
    editor.remove_node(db, actor, q, "item", target.id, reason="Butir ganda dengan 1.1")
    db.expire_all()
    kept = db.get(Item, target.id)
    assert kept is not None and kept.removed_at is not None
    body = categories.list_targets(db, cycle)[0]
    bq = questionnaires.questionnaire_for_body(db, cycle, body.id)
    assert bq is not None and "2.1.1" not in [i.code for i in bq.spec.items]
    with pytest.raises(InvalidTransition):
        editor.remove_node(db, actor, q, "item", target.id, reason="lagi")
    with pytest.raises(InvalidTransition, match="tidak dapat dihapus"):
        editor.remove_node(
            db, actor, q, "group", questionnaires.load_tree(db, q).groups[0].id, reason="x"
        )
    editor.restore_item(db, actor, q, target.id, reason="Ternyata perlu")
    assert kept.removed_at is None and q.version == 3
    with pytest.raises(InvalidTransition):
        editor.restore_item(db, actor, q, target.id, reason="lagi")


def test_staff_of_the_commission_read_questionnaires_others_do_not(
    factory: Factory, db: Session
) -> None:
    org, cycle, _actor = setup(factory, is_open=True)
    q = only_questionnaire(db, cycle)
    komisioner = factory.actor(factory.user(org, Role.KOMISIONER), org)
    assert questionnaires.get_questionnaire_for_actor(db, komisioner, q.id) is q
    with pytest.raises(Forbidden):
        editor.save_node(db, komisioner, q, "item", ITEM)
    body = categories.list_targets(db, cycle)[0]
    operator = factory.actor(factory.user(org, Role.OPERATOR, body=body), org)
    with pytest.raises(NotFound):
        questionnaires.get_questionnaire_for_actor(db, operator, q.id)
    other = factory.commission()
    stranger = factory.actor(factory.user(other, Role.SEKRETARIAT), other)
    with pytest.raises(NotFound):
        questionnaires.get_questionnaire_for_actor(db, stranger, q.id)


def test_questionnaires_are_created_renamed_and_deleted_while_unfrozen(
    factory: Factory, db: Session
) -> None:
    _org, cycle, actor = setup(factory)
    empty = questionnaires.create_questionnaire(db, actor, cycle, "Kuesioner desa")
    with pytest.raises(ValidationFailed):
        questionnaires.create_questionnaire(db, actor, cycle, "Kuesioner desa")
    questionnaires.rename_questionnaire(db, actor, empty, "Kuesioner khusus desa")
    assert empty.name == "Kuesioner khusus desa"
    questionnaires.delete_questionnaire(db, actor, empty)
    q = only_questionnaire(db, cycle)
    questionnaires.delete_questionnaire(db, actor, q)
    assert all(c.questionnaire_id is None for c in categories.categories_of(db, cycle))


def test_a_frozen_questionnaire_is_not_deleted(factory: Factory, db: Session) -> None:
    _org, cycle, actor = setup(factory, is_open=True)
    with pytest.raises(InvalidTransition):
        questionnaires.delete_questionnaire(db, actor, only_questionnaire(db, cycle))


def _imported(factory: Factory, db: Session) -> Questionnaire:
    org = factory.commission()
    cycle = factory.cycle(org, ready=False)
    categories.add_catalogue_categories(db, system_actor(org.id), cycle)
    actor = factory.actor(factory.user(org, Role.SEKRETARIAT), org)
    preview = transfer.preview_import(db, actor, cycle, "kuesioner.csv", CSV)
    assert preview.batch_id
    return transfer.apply_import(db, actor, cycle, preview.batch_id, name="Kuesioner 2025")


def test_a_spec_is_read_once_and_forgotten_when_the_questionnaire_changes(
    factory: Factory, db: Session
) -> None:
    q = _imported(factory, db)
    db.flush()
    first = questionnaires.load_spec(db, q)
    assert questionnaires.load_spec(db, q) is first  # from this process's cache
    item = db.get(Item, first.indicators[0].items[0].id)
    assert item is not None
    item.text = "Apakah daftar informasi publik diperbarui setiap bulan?"
    # Not flushed yet: the spec is read from the rows (autoflush), never from the cache.
    changed = questionnaires.load_spec(db, q)
    assert changed.indicators[0].items[0].text == item.text
    again = questionnaires.load_spec(db, q)
    assert again == changed and questionnaires.load_spec(db, q) is again  # cached once flushed


def test_each_category_spec_is_cut_from_the_whole_questionnaire_read_once(
    factory: Factory, db: Session
) -> None:
    """A full recompute asks for every category's spec of every questionnaire: the rows are
    read once per questionnaire, not once per category."""
    q = _imported(factory, db)
    db.flush()  # questionnaire rows flushed: this process's cache is empty for them
    with counting(db.get_bind()) as counter:
        opd = questionnaires.load_spec(db, q, "opd_pemprov")
        read_once = len(counter.statements)
        others = {code: questionnaires.load_spec(db, q, code) for code in ("bumn", "parpol")}
        whole = questionnaires.load_spec(db, q)
    assert read_once >= 3 and len(counter.statements) == read_once
    assert opd == whole.for_category("opd_pemprov") and "2.1.2" in [i.code for i in opd.items]
    for code, spec in others.items():
        assert spec == whole.for_category(code) and "2.1.2" not in [i.code for i in spec.items]


def test_a_change_stamped_by_another_process_is_seen_at_once(factory: Factory, db: Session) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    q = _imported(factory, db)
    db.flush()
    first = questionnaires.load_spec(db, q)
    # Another process renames an item and stamps the questionnaire (as `Change` does); this
    # process's flush listener never sees it, the key does.
    first_item = first.indicators[0].items[0].id
    db.execute(update(Item).where(Item.id == first_item).values(text="Diubah di proses lain"))
    db.execute(
        update(Questionnaire)
        .where(Questionnaire.id == q.id)
        .values(updated_at=q.updated_at + timedelta(seconds=1))
    )
    db.expire_all()
    q2 = db.get(Questionnaire, q.id)
    assert q2 is not None
    assert questionnaires.load_spec(db, q2).indicators[0].items[0].text == "Diubah di proses lain"
