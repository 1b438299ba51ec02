# tests/e2e.cmake -- the whole pipeline on the real stack: API -> PostgreSQL -> Kafka -> workers -> Pebble -> Redis -> edge.
certfleet_integration_test(e2e_pipeline ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_e2e
	$<TARGET_FILE_DIR:certfleet-worker>)
