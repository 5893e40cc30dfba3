from app.accounts.rules import Actor, Role, home_sections, role_needs_body


def _actor(**kw: object) -> Actor:
    base: dict[str, object] = {"user_id": 1, "email": "a@b.id", "full_name": "A"}
    base.update(kw)
    return Actor(**base)  # type: ignore[arg-type]


def test_it_knows_which_roles_need_a_body() -> None:
    assert role_needs_body(Role.OPERATOR)
    assert role_needs_body(Role.ATASAN_PPID)
    assert not role_needs_body(Role.VERIFIKATOR)


def test_has_checks_roles_in_the_current_organisation_only() -> None:
    a = _actor(organisation_id=1, roles=frozenset({"verifikator"}))
    assert a.has("verifikator", "juri")
    assert not a.has("sekretariat")


def test_acts_for_body_checks_the_body_and_optionally_the_role() -> None:
    a = _actor(body_roles={7: frozenset({"operator"})})
    assert a.acts_for_body(7)
    assert a.acts_for_body(7, "operator")
    assert not a.acts_for_body(7, "atasan_ppid")
    assert not a.acts_for_body(8)
    assert a.body_ids == frozenset({7})


def test_home_sections_follow_the_roles_in_a_fixed_order() -> None:
    a = _actor(
        is_admin=True,
        roles=frozenset({"juri", "sekretariat"}),
        body_roles={3: frozenset({"operator"})},
    )
    assert home_sections(a) == ["admin", "sekretariat", "juri", "body"]
    assert home_sections(_actor()) == []
    assert a.is_staff
    assert not _actor(body_roles={3: frozenset({"operator"})}).is_staff
