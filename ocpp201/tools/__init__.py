"""Ready-made programs for testing real equipment: a CSMS and a station simulator.

* :mod:`ocpp201.tools.gate` -- the registration gate of Part 2 B01.FR.10,
  B02.FR.09 and B03.FR.07 (CALLs before an Accepted boot get SecurityError);
* :mod:`ocpp201.tools.csms` -- :class:`~ocpp201.tools.csms.ReadyCSMS`, a CSMS that
  accepts stations and answers every station-to-CSMS action validly (``ocpp201
  serve``);
* :mod:`ocpp201.tools.simulator` -- simulated charging stations that boot, report,
  charge with meter values and answer the CSMS, with latency figures (``ocpp201
  simulate``).

They need the ``websockets`` extra to run over the network.
"""
