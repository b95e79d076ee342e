from tests.test_isolation import *  # noqa
def test_dbg(world, client_for):
    import servicedesk.views as v
    print("INC", v.Incident)
    c = client_for(world.people["tech"])
    r = c.get("/")
    print(r.status_code, r.content.decode()[:20000])
