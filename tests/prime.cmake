# tests/prime.cmake -- the primer repairs itself: Redis re-primed after a flush or a restart without data, no orphans across renewals, prime styles, several targets, a target another fleet holds left alone.
# prime_fill writes issued certificates straight into PostgreSQL (10,000 are
# too slow through Pebble); the coordinator's real primer primes them.
add_executable(prime_fill tools/prime_fill.c)
target_link_libraries(prime_fill PRIVATE certfleet_coordinator PkgConfig::CRYPTO)
certfleet_integration_test(prime_repair ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_prime
	$<TARGET_FILE_DIR:certfleet-coordinator>)
# it kills the stack's Redis and restarts it empty: tests that share only the
# stack's services (certfleet_integration_test_own) must not run beside it
set_tests_properties(prime_repair PROPERTIES TIMEOUT 300 RUN_SERIAL TRUE)
certfleet_unit_test(unit_prime_conf unit/test_prime_conf.c certfleet_coordinator)
certfleet_unit_test(unit_prime_lease unit/test_prime_lease.c certfleet_coordinator)
