"""Who the load scenario simulates (bench/locustfile.py) and in what proportion, shared with
bench/load.py, which signs in a session for each simulated person (locust itself is not imported
there: it patches the standard library for gevent when imported)."""

# role: (locust's weight, the demo users the role's sessions are spread over)
PEOPLE = {
    "case_worker": (50, ("caseworker@fenshire-police.example", "caseworker2@fenshire-police.example")),
    "partner": (
        25,
        (
            "manager@compass.example",
            "practitioner@compass.example",
            "manager@opendoor.example",
            "practitioner@opendoor.example",
        ),
    ),
    "supervisor": (10, ("supervisor@fenshire-police.example",)),
    "decision_maker": (10, ("decisions@fenshire-police.example",)),
    "analyst": (5, ("analyst@fenshire-opcc.example",)),
}
