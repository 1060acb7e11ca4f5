"""The example programs: a CSMS (``csms``) and a charging station
(``charging_station``), each runnable on its own::

    python -m ocpp201.examples.csms --port 9000
    python -m ocpp201.examples.charging_station ws://127.0.0.1:9000/ocpp CS001

They are part of the package, so ``python -m ocpp201 demo`` runs the two against
each other from a checkout, an editable install or an installed wheel alike.
"""
