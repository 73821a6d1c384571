"""SLA: availability targets, service calendars and incident deadlines, reported per month.

``policy`` reads the inventory's ``sla:`` section; ``calendar`` counts service
time (business hours, holidays, clock changes); ``incidents`` judges response
and resolution deadlines; ``availability`` turns outages into downtime and a
budget; ``report`` puts a month together and renders it. All pure: no server,
no database; the monitoring history supplies the incidents.
"""
