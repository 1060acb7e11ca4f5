"""The simulated station's meter values are valid and say their units.

Without a ``unitOfMeasure`` a sampled value is read in Wh (the schema's default), so
the power sample must carry ``W``; ``ocpp201.trace`` then prints it as watts.
"""

from __future__ import annotations

from ocpp201 import from_payload
from ocpp201.datatypes import MeterValueType
from ocpp201.tools.simulator import SimulatedStation, SimulationConfig, Stats
from ocpp201.trace import summarize


def test_power_sample_is_in_watts() -> None:
    station = SimulatedStation("SIM00001", SimulationConfig(), Stats())
    meter_value = station._meter_value()
    for item in meter_value:
        from_payload(MeterValueType, item)
    samples = meter_value[0]["sampledValue"]
    power = [s for s in samples if s.get("measurand") == "Power.Active.Import"]
    assert power and power[0]["unitOfMeasure"] == {"unit": "W"}
    assert "11040.0 W" in summarize({"meterValue": meter_value})
    assert "11040.0 Wh" not in summarize({"meterValue": meter_value})
