# tests/dns_rfc2136.cmake -- the rfc2136 DNS provider against a real BIND (named on port base+18) with TSIG.
# Under the stack's resource lock although it needs no stack service: base+18 is also a port
# test_responder.sh expects to be closed.
add_executable(test_dns_rfc2136_c integration/test_dns_rfc2136.c)
target_link_libraries(test_dns_rfc2136_c PRIVATE certfleet_worker PkgConfig::CMOCKA)
certfleet_integration_test(dns_rfc2136
	${CMAKE_CURRENT_SOURCE_DIR}/integration/test_dns_rfc2136 $<TARGET_FILE:test_dns_rfc2136_c>)
