# tests/dns.cmake -- dns-01 and wildcards: TXT values, DNS providers, the API's rules, issuance end to end.
certfleet_unit_test(unit_dns01 unit/test_dns01.c certfleet_worker)
certfleet_unit_test(unit_dns01_enroll unit/test_dns01_enroll.c certfleet_coordinator)
certfleet_integration_test(dns01_e2e
	${CMAKE_CURRENT_SOURCE_DIR}/integration/test_dns01 ${CMAKE_BINARY_DIR}/bin)
