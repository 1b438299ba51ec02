# import.cmake -- imports, exports and bulk enrollment: unit tests of their parsers and of PKCS#12, and integration tests on the real stack.
certfleet_unit_test(unit_ndjson unit/test_ndjson.c certfleet_base)
certfleet_unit_test(unit_coord_import unit/test_coord_import.c
	certfleet_coordinator PkgConfig::JANSSON)
certfleet_unit_test(unit_coord_p12 unit/test_coord_p12.c certfleet_coordinator)
certfleet_unit_test(unit_ctl_layout unit/test_ctl_layout.c certfleet_ctl
	PkgConfig::CRYPTO)
certfleet_unit_test(unit_ctl_setline unit/test_ctl_setline.c certfleet_ctl)

# Certbot, lego and PEM trees imported and served by the edge, exports,
# key download records, renewal of an import at Pebble (one worker).
certfleet_integration_test(import_export
	${CMAKE_CURRENT_SOURCE_DIR}/integration/test_import
	$<TARGET_FILE_DIR:certfleet-coordinator>)
set_tests_properties(import_export PROPERTIES TIMEOUT 300)
# 10,000 sets in one bulk request, and certfleetctl enroll --from.
certfleet_integration_test(bulk_enroll
	${CMAKE_CURRENT_SOURCE_DIR}/integration/test_bulk
	$<TARGET_FILE_DIR:certfleet-coordinator>)
set_tests_properties(bulk_enroll PROPERTIES TIMEOUT 420)
