"""Facts from the OCPP 2.0.1 specification that the schemas do not hold, for the
reference pages: the functional blocks of Part 0 (table 3), the use cases of Part 2
and which action each use case exchanges, and one sentence per action on its purpose.

Transcribed from /work/shared/ocpp-2.0.1/spec (Part 0 section 3.2-3.3, Part 2).
"""

from __future__ import annotations

BLOCKS: dict[str, tuple[str, tuple[str, ...]]] = {
    "A": (
        "Security",
        (
            "CertificateSigned",
            "SecurityEventNotification",
            "SignCertificate",
        ),
    ),
    "B": (
        "Provisioning",
        (
            "BootNotification",
            "GetBaseReport",
            "GetReport",
            "GetVariables",
            "NotifyReport",
            "Reset",
            "SetNetworkProfile",
            "SetVariables",
        ),
    ),
    "C": (
        "Authorization",
        (
            "Authorize",
            "ClearCache",
        ),
    ),
    "D": (
        "Local Authorization List Management",
        (
            "GetLocalListVersion",
            "SendLocalList",
        ),
    ),
    "E": (
        "Transactions",
        (
            "GetTransactionStatus",
            "TransactionEvent",
        ),
    ),
    "F": (
        "Remote Control",
        (
            "RequestStartTransaction",
            "RequestStopTransaction",
            "TriggerMessage",
            "UnlockConnector",
        ),
    ),
    "G": (
        "Availability",
        (
            "ChangeAvailability",
            "Heartbeat",
            "StatusNotification",
        ),
    ),
    "H": (
        "Reservation",
        (
            "CancelReservation",
            "ReservationStatusUpdate",
            "ReserveNow",
        ),
    ),
    "I": (
        "Tariff and Cost",
        ("CostUpdated",),
    ),
    "J": (
        "Metering",
        ("MeterValues",),
    ),
    "K": (
        "Smart Charging",
        (
            "ClearChargingProfile",
            "ClearedChargingLimit",
            "GetChargingProfiles",
            "GetCompositeSchedule",
            "NotifyChargingLimit",
            "NotifyEVChargingNeeds",
            "NotifyEVChargingSchedule",
            "ReportChargingProfiles",
            "SetChargingProfile",
        ),
    ),
    "L": (
        "Firmware Management",
        (
            "FirmwareStatusNotification",
            "PublishFirmware",
            "PublishFirmwareStatusNotification",
            "UnpublishFirmware",
            "UpdateFirmware",
        ),
    ),
    "M": (
        "ISO 15118 Certificate Management",
        (
            "DeleteCertificate",
            "Get15118EVCertificate",
            "GetCertificateStatus",
            "GetInstalledCertificateIds",
            "InstallCertificate",
        ),
    ),
    "N": (
        "Diagnostics",
        (
            "ClearVariableMonitoring",
            "CustomerInformation",
            "GetLog",
            "GetMonitoringReport",
            "LogStatusNotification",
            "NotifyCustomerInformation",
            "NotifyEvent",
            "NotifyMonitoringReport",
            "SetMonitoringBase",
            "SetMonitoringLevel",
            "SetVariableMonitoring",
        ),
    ),
    "O": (
        "Display Message",
        (
            "ClearDisplayMessage",
            "GetDisplayMessages",
            "NotifyDisplayMessages",
            "SetDisplayMessage",
        ),
    ),
    "P": (
        "Data Transfer",
        ("DataTransfer",),
    ),
}
"""Letter -> (title, actions): the functional blocks of Part 0, table 3."""

USE_CASES: dict[str, str] = {
    "A01": "Update Charging Station Password for HTTP Basic Authentication",
    "A02": "Update Charging Station Certificate by request of CSMS",
    "A03": "Update Charging Station Certificate initiated by the Charging Station",
    "A04": "Security Event Notification",
    "A05": "Upgrade Charging Station Security Profile",
    "B01": "Cold Boot Charging Station",
    "B02": "Cold Boot Charging Station - Pending",
    "B03": "Cold Boot Charging Station - Rejected",
    "B04": "Offline Behavior Idle Charging Station",
    "B05": "Set Variables",
    "B06": "Get Variables",
    "B07": "Get Base Report",
    "B08": "Get Custom Report",
    "B09": "Setting a new NetworkConnectionProfile",
    "B10": "Migrate to new CSMS",
    "B11": "Reset - Without Ongoing Transaction",
    "B12": "Reset - With Ongoing Transaction",
    "C01": "EV Driver Authorization using RFID",
    "C02": "Authorization using a start button",
    "C03": "Authorization using credit/debit card",
    "C04": "Authorization using PIN-code",
    "C05": "Authorization for CSMS initiated transactions",
    "C06": "Authorization using local id type",
    "C07": "Authorization using Contract Certificates",
    "C08": "Authorization at EVSE using ISO 15118 External Identification Means (EIM)",
    "C09": "Authorization by GroupId",
    "C10": "Store Authorization Data in the Authorization Cache",
    "C11": "Clear Authorization Data in Authorization Cache",
    "C12": "Start Transaction - Cached Id",
    "C13": "Offline Authorization through Local Authorization List",
    "C14": "Online Authorization through Local Authorization List",
    "C15": "Offline Authorization of unknown Id",
    "C16": "Stop Transaction with a Master Pass",
    "D01": "Send Local Authorization List",
    "D02": "Get Local List Version",
    "E01": "Start Transaction options",
    "E02": "Start Transaction - Cable Plugin First",
    "E03": "Start Transaction - IdToken First",
    "E04": "Transaction started while Charging Station is offline",
    "E05": "Start Transaction - Id not Accepted",
    "E06": "Stop Transaction options",
    "E07": "Transaction locally stopped by IdToken",
    "E08": "Transaction stopped while Charging Station is offline",
    "E09": "When cable disconnected on EV-side: Stop Transaction",
    "E10": "When cable disconnected on EV-side: Suspend Transaction",
    "E11": "Connection Loss During Transaction",
    "E12": "Inform CSMS of an Offline Occurred Transaction",
    "E13": "Transaction-related message not accepted by CSMS",
    "E14": "Check transaction status",
    "E15": "End of charging process",
    "F01": "Remote Start Transaction - Cable Plugin First",
    "F02": "Remote Start Transaction - Remote Start First",
    "F03": "Remote Stop Transaction",
    "F04": "Remote Stop ISO 15118 Charging from CSMS",
    "F05": "Remotely Unlock Connector",
    "F06": "Trigger Message",
    "G01": "Status Notification",
    "G02": "Heartbeat",
    "G03": "Change Availability EVSE/Connector",
    "G04": "Change Availability Charging Station",
    "G05": "Lock Failure",
    "H01": "Reservation",
    "H02": "Cancel Reservation",
    "H03": "Use a reserved EVSE",
    "H04": "Reservation Ended, not used",
    "I01": "Show EV Driver-specific Tariff Information",
    "I02": "Show EV Driver Running Total Cost During Charging",
    "I03": "Show EV Driver Final Total Cost After Charging",
    "I06": "Update Tariff Information During Transaction",
    "J01": "Sending Meter Values not related to a transaction",
    "J02": "Sending transaction related Meter Values",
    "J03": "Charging Loop with metering information exchange",
    "K01": "SetChargingProfile",
    "K02": "Central Smart Charging",
    "K03": "Local Smart Charging",
    "K04": "Internal Load Balancing",
    "K05": "Remote Start Transaction with Charging Profile",
    "K06": "Offline Behavior Smart Charging During Transaction",
    "K07": "Offline Behavior Smart Charging at Start of Transaction",
    "K08": "Get Composite Schedule",
    "K09": "Get Charging Profiles",
    "K10": "Clear Charging Profile",
    "K11": "Set / Update External Charging Limit With Ongoing Transaction",
    "K12": "Set / Update External Charging Limit Without Ongoing Transaction",
    "K13": "Reset / Release External Charging Limit",
    "K14": "External Charging Limit with Local Controller",
    "K15": "Charging with load leveling based on High Level Communication",
    "K16": "Renegotiation initiated by CSMS",
    "K17": "Renegotiation initiated by EV",
    "L01": "Secure Firmware Update",
    "L02": "Non-Secure Firmware Update",
    "L03": "Publish Firmware file on Local Controller",
    "L04": "Unpublish Firmware file on Local Controller",
    "M01": "Certificate installation EV",
    "M02": "Certificate Update EV",
    "M03": "Retrieve list of available certificates from a Charging Station",
    "M04": "Delete a specific certificate from a Charging Station",
    "M05": "Install CA certificate in a Charging Station",
    "M06": "Get V2G Charging Station Certificate status",
    "N01": "Retrieve Log Information",
    "N02": "Get Monitoring report",
    "N03": "Set Monitoring Base",
    "N04": "Set Variable Monitoring",
    "N05": "Set Monitoring Level",
    "N06": "Clear / Remove Monitoring",
    "N07": "Alert Event",
    "N08": "Periodic Event",
    "N09": "Get Customer Information",
    "N10": "Clear Customer Information",
    "O01": "Set DisplayMessage",
    "O02": "Set DisplayMessage for Transaction",
    "O03": "Get All DisplayMessages",
    "O04": "Get Specific DisplayMessages",
    "O05": "Clear a DisplayMessage",
    "O06": "Replace DisplayMessage",
    "P01": "Data Transfer to the Charging Station",
    "P02": "Data Transfer to the CSMS",
}
"""Use case id -> name (Part 2)."""

ACTION_USE_CASES: dict[str, tuple[str, ...]] = {
    "Authorize": ("C01", "C03", "C04", "C07", "C10"),
    "BootNotification": ("B01", "B02", "B03"),
    "CancelReservation": ("H02",),
    "CertificateSigned": ("A02", "A03"),
    "ChangeAvailability": ("G03", "G04"),
    "ClearCache": ("C11",),
    "ClearChargingProfile": ("K10",),
    "ClearDisplayMessage": ("O05",),
    "ClearVariableMonitoring": ("N06",),
    "ClearedChargingLimit": ("K13", "K14"),
    "CostUpdated": ("I01", "I02"),
    "CustomerInformation": ("N09", "N10"),
    "DataTransfer": ("P01", "P02"),
    "DeleteCertificate": ("M04",),
    "FirmwareStatusNotification": ("L01", "L02"),
    "Get15118EVCertificate": ("M01", "M02"),
    "GetBaseReport": ("B07",),
    "GetCertificateStatus": ("M06",),
    "GetChargingProfiles": ("K09",),
    "GetCompositeSchedule": ("K08",),
    "GetDisplayMessages": ("O03", "O04"),
    "GetInstalledCertificateIds": ("M03",),
    "GetLocalListVersion": ("D02",),
    "GetLog": ("N01",),
    "GetMonitoringReport": ("N02",),
    "GetReport": ("B08",),
    "GetTransactionStatus": ("E14",),
    "GetVariables": ("B06",),
    "Heartbeat": ("G02",),
    "InstallCertificate": ("M05",),
    "LogStatusNotification": ("N01",),
    "MeterValues": ("J01", "J02", "I06"),
    "NotifyChargingLimit": ("K11", "K12", "K14"),
    "NotifyCustomerInformation": ("N09", "N10"),
    "NotifyDisplayMessages": ("O03", "O04"),
    "NotifyEVChargingNeeds": ("K15", "K17"),
    "NotifyEVChargingSchedule": ("K15", "K16", "K17"),
    "NotifyEvent": ("N07", "N08", "G05"),
    "NotifyMonitoringReport": ("N02",),
    "NotifyReport": ("B07", "B08"),
    "PublishFirmware": ("L03",),
    "PublishFirmwareStatusNotification": ("L03",),
    "ReportChargingProfiles": ("K09",),
    "RequestStartTransaction": ("F01", "F02", "K05", "C05"),
    "RequestStopTransaction": ("F03", "F04"),
    "ReservationStatusUpdate": ("H01", "H04"),
    "ReserveNow": ("H01",),
    "Reset": ("B11", "B12"),
    "SecurityEventNotification": ("A04",),
    "SendLocalList": ("D01",),
    "SetChargingProfile": ("K01", "K02", "K15", "K16", "K17"),
    "SetDisplayMessage": ("O01", "O02", "O06"),
    "SetMonitoringBase": ("N03",),
    "SetMonitoringLevel": ("N05",),
    "SetNetworkProfile": ("B09",),
    "SetVariableMonitoring": ("N04",),
    "SetVariables": ("B05", "A01", "A05"),
    "SignCertificate": ("A02", "A03"),
    "StatusNotification": ("G01",),
    "TransactionEvent": ("E01", "E02", "E03", "E06", "E07"),
    "TriggerMessage": ("F06",),
    "UnlockConnector": ("F05",),
    "UnpublishFirmware": ("L04",),
    "UpdateFirmware": ("L01", "L02"),
}
"""Action -> the Part 2 use cases that exchange it (the main ones)."""

PURPOSES: dict[str, str] = {
    "Authorize": "Asks the CSMS whether an idToken (RFID card, app, ...) may start or"
    " stop charging, and gets its authorization status.",
    "BootNotification": "Sent by a Charging Station after (re)boot to register with"
    " the CSMS; the answer (Accepted, Pending, Rejected) sets the heartbeat interval.",
    "CancelReservation": "Cancels a reservation made earlier with ReserveNow.",
    "CertificateSigned": "Delivers the signed certificate chain the Charging Station"
    " asked for with SignCertificate.",
    "ChangeAvailability": "Makes the Charging Station, an EVSE or a connector"
    " Operative or Inoperative.",
    "ClearCache": "Clears the Charging Station's Authorization Cache.",
    "ClearChargingProfile": "Removes charging profiles, selected by id or by criteria.",
    "ClearDisplayMessage": "Removes a message shown on the Charging Station's display.",
    "ClearVariableMonitoring": "Removes variable monitors, by id.",
    "ClearedChargingLimit": "Tells the CSMS that an external charging limit has been"
    " released.",
    "CostUpdated": "Sends the running total cost of a transaction to the Charging"
    " Station, to show to the EV Driver.",
    "CustomerInformation": "Asks the Charging Station to report (and optionally clear)"
    " the data it holds about a customer.",
    "DataTransfer": "Carries vendor-specific data that OCPP does not define, in either"
    " direction.",
    "DeleteCertificate": "Deletes an installed certificate from the Charging Station.",
    "FirmwareStatusNotification": "Reports the progress of a firmware update"
    " (downloading, installing, installed, failed, ...).",
    "Get15118EVCertificate": "Relays an ISO 15118 certificate installation or update"
    " request of the EV to the CSMS.",
    "GetBaseReport": "Asks for a report of the Charging Station's configuration; the"
    " report arrives in NotifyReport messages.",
    "GetCertificateStatus": "Asks the CSMS for the OCSP status of a certificate (ISO"
    " 15118).",
    "GetChargingProfiles": "Asks for the installed charging profiles; they arrive in"
    " ReportChargingProfiles messages.",
    "GetCompositeSchedule": "Asks for the schedule that results from all charging"
    " profiles and limits on an EVSE.",
    "GetDisplayMessages": "Asks for the messages configured for the display; they"
    " arrive in NotifyDisplayMessages messages.",
    "GetInstalledCertificateIds": "Asks which certificates are installed on the"
    " Charging Station.",
    "GetLocalListVersion": "Asks for the version number of the Local Authorization"
    " List.",
    "GetLog": "Asks the Charging Station to upload a diagnostics or security log to a"
    " URL.",
    "GetMonitoringReport": "Asks for the configured monitors; they arrive in"
    " NotifyMonitoringReport messages.",
    "GetReport": "Asks for a custom report of selected components and variables; it"
    " arrives in NotifyReport messages.",
    "GetTransactionStatus": "Asks whether a transaction is ongoing and whether"
    " transaction messages are still queued.",
    "GetVariables": "Reads the values of variables of components of the Charging"
    " Station.",
    "Heartbeat": "Tells the CSMS the Charging Station is alive; the answer carries the"
    " CSMS time for clock synchronization.",
    "InstallCertificate": "Installs a root or manufacturer certificate on the Charging"
    " Station.",
    "LogStatusNotification": "Reports the progress of a log upload requested with"
    " GetLog.",
    "MeterValues": "Sends meter values that are not part of a transaction.",
    "NotifyChargingLimit": "Tells the CSMS that an external system set a charging"
    " limit.",
    "NotifyCustomerInformation": "Carries the customer data asked for with"
    " CustomerInformation, possibly in parts.",
    "NotifyDisplayMessages": "Carries the display messages asked for with"
    " GetDisplayMessages.",
    "NotifyEVChargingNeeds": "Relays the charging needs of an ISO 15118 EV to the"
    " CSMS.",
    "NotifyEVChargingSchedule": "Relays the charging schedule an ISO 15118 EV chose to"
    " the CSMS.",
    "NotifyEvent": "Reports events and monitor triggers (alerts, periodic values,"
    " state changes) of components and variables.",
    "NotifyMonitoringReport": "Carries the monitors asked for with"
    " GetMonitoringReport.",
    "NotifyReport": "Carries the report asked for with GetBaseReport or GetReport,"
    " possibly in parts.",
    "PublishFirmware": "Asks a Local Controller to download a firmware image and"
    " publish it to the Charging Stations behind it.",
    "PublishFirmwareStatusNotification": "Reports the progress of PublishFirmware.",
    "ReportChargingProfiles": "Carries the charging profiles asked for with"
    " GetChargingProfiles.",
    "RequestStartTransaction": "Asks the Charging Station to start a transaction"
    " (remote start), optionally with a charging profile.",
    "RequestStopTransaction": "Asks the Charging Station to stop a transaction"
    " (remote stop).",
    "ReservationStatusUpdate": "Tells the CSMS that a reservation expired or was"
    " removed.",
    "ReserveNow": "Reserves an EVSE (or any EVSE of a connector type) for an idToken"
    " until a given time.",
    "Reset": "Restarts the Charging Station or an EVSE, at once or when idle.",
    "SecurityEventNotification": "Reports a security event (for example a failed"
    " firmware signature check or a reset).",
    "SendLocalList": "Sends a full or differential update of the Local Authorization"
    " List.",
    "SetChargingProfile": "Installs a charging profile that limits the power or"
    " current of an EVSE or of the Charging Station.",
    "SetDisplayMessage": "Shows a message on the Charging Station's display.",
    "SetMonitoringBase": "Activates a predefined set of variable monitors.",
    "SetMonitoringLevel": "Sets the severity from which monitor events are reported.",
    "SetNetworkProfile": "Installs a network connection profile (CSMS URL, security"
    " profile, interface) in a configuration slot.",
    "SetVariableMonitoring": "Installs monitors that report changes or thresholds of"
    " variables.",
    "SetVariables": "Sets variables of components of the Charging Station.",
    "SignCertificate": "Sends a certificate signing request (CSR) to the CSMS; the"
    " certificate comes back with CertificateSigned.",
    "StatusNotification": "Reports the status of a connector (Available, Occupied,"
    " Reserved, Unavailable, Faulted).",
    "TransactionEvent": "Reports the start, updates (meter values, state changes) and"
    " end of a transaction.",
    "TriggerMessage": "Asks the Charging Station to send a given message now (for"
    " example a StatusNotification or a BootNotification).",
    "UnlockConnector": "Unlocks a connector, for example when a cable is stuck.",
    "UnpublishFirmware": "Asks a Local Controller to stop publishing a firmware image.",
    "UpdateFirmware": "Asks the Charging Station to download and install a (signed)"
    " firmware image.",
}
"""Action -> what it is for, in one sentence (from Part 2's use cases)."""
