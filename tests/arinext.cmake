# arinext.cmake -- tests of ARI re-checks (RFC 9773 section 4.3): the ari_check/ari_window contract, and a re-check on the newer Pebble.
certfleet_unit_test(unit_codec_ari unit/test_codec_ari.c certfleet_proto)

# Runs its own coordinator and worker against the newer Pebble (the stack
# fixture starts it: CERTFLEET_STACK_NEW_PEBBLE=1 in tests/CMakeLists.txt).
certfleet_integration_test(ari_recheck ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_ari_recheck
	$<TARGET_FILE_DIR:certfleet-worker>)
