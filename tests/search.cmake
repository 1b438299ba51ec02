# search.cmake -- search at a million certificates and an API that scales: the search's arguments, cursor and SQL, SHA-1 in chains, the key pool, the connection pool, and the API served in parallel.
certfleet_unit_test(unit_searchq unit/test_searchq.c certfleet_coordinator
	certfleet_base)
certfleet_unit_test(unit_sigalg unit/test_sigalg.c certfleet_coordinator
	PkgConfig::CRYPTO)

# the query string of GET /v1/certificates and :count (api/searchq.c)
certfleet_fuzz_target(fuzz_search_query certfleet_coordinator certfleet_base
	certfleet_hostname)

# every filter, paging and counts against a data set the test writes
certfleet_integration_test(search_filters
	${CMAKE_CURRENT_SOURCE_DIR}/integration/test_search
	$<TARGET_FILE:certfleet-coordinator> $<TARGET_FILE:certfleetctl>)

# the API's threads and connection pool, and the RSA key pool
certfleet_integration_test(api_scale
	${CMAKE_CURRENT_SOURCE_DIR}/integration/test_api_scale
	$<TARGET_FILE:certfleet-coordinator>)
