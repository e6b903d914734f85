from tests.helpers import Api


async def test_invite_and_accept(api: Api) -> None:
    a, b = await api.members(2)
    r = await api.invite(a, b, "hello")
    assert r.status_code == 201, r.text
    inv = r.json()
    r = await api.as_(b).post(f"/v1/invitations/{inv['id']}/accept")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted"
    assert await api.count(a) == 1
    await api.assert_consistent()
