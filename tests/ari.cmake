# ari.cmake -- tests of ACME Renewal Information (RFC 9773), profiles and renewals: unit and integration on the newer Pebble.
certfleet_unit_test(unit_acme_ari unit/test_acme_ari.c certfleet_acme)

# Runs its own coordinator and worker against the newer Pebble (the stack
# fixture starts it: CERTFLEET_STACK_NEW_PEBBLE=1 in tests/CMakeLists.txt).
certfleet_integration_test(ari_renewal ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_ari
	$<TARGET_FILE_DIR:certfleet-worker>)
