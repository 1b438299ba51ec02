# tests/worker.cmake -- tests of the worker daemon.
certfleet_unit_test(unit_offsets unit/test_offsets.c certfleet_worker)
certfleet_unit_test(unit_events unit/test_events.c certfleet_worker)
