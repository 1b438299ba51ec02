# import.cmake -- imports, exports and bulk enrollment: unit tests of their parsers and of PKCS#12, and integration tests on the real stack.
certfleet_unit_test(unit_ndjson unit/test_ndjson.c certfleet_base)
certfleet_unit_test(unit_coord_import unit/test_coord_import.c
	certfleet_coordinator PkgConfig::JANSSON)
certfleet_unit_test(unit_coord_p12 unit/test_coord_p12.c certfleet_coordinator)
certfleet_unit_test(unit_ctl_layout unit/test_ctl_layout.c certfleet_ctl
	PkgConfig::CRYPTO)
certfleet_unit_test(unit_ctl_setline unit/test_ctl_setline.c certfleet_ctl)
