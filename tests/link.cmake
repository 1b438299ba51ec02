# tests/link.cmake -- link hygiene: each program links only the libraries of common/ it uses (common/CMakeLists.txt), checked on the built binaries.
# test_needed.sh reads the program's NEEDED entries with readelf; the build
# does not use -Wl,--as-needed, so these are exactly what CMake linked.
set(NEEDED_CHECK ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_needed.sh)
function(certfleet_needed_test name program)
	add_test(NAME ${name} COMMAND ${NEEDED_CHECK} $<TARGET_FILE:${program}> ${ARGN})
	set_tests_properties(${name} PROPERTIES LABELS unit TIMEOUT 30)
endfunction()

# The http-01 responder: Redis and libmicrohttpd, nothing of the other services.
certfleet_needed_test(link_responder certfleet-responder libpq librdkafka libcurl)
# The worker keeps no state: no PostgreSQL.
certfleet_needed_test(link_worker certfleet-worker libpq)
# The coordinator links libcurl since it calls peter_sslers edges' expire
# routes (coordinator/edge/expire.c) and its circuit breakers probe CA
# directories (coordinator/ca/probe.c), but never the ACME engine
# (certfleet_acme), which is the workers' alone. What still holds at link
# time: no test library.
certfleet_needed_test(link_coordinator certfleet-coordinator libcmocka)
# certfleetctl has no such test: `certfleetctl doctor` checks PostgreSQL and
# Kafka itself (every health_service), so it links libpq and librdkafka.

# The check itself must catch a library that is there: the coordinator needs
# libpq, so this one has to fail.
certfleet_needed_test(link_check_catches certfleet-coordinator libpq)
set_tests_properties(link_check_catches PROPERTIES WILL_FAIL TRUE)

# health_check with one service's library linked (Redis) and a service of
# the test's own.
certfleet_unit_test(unit_health unit/test_health.c certfleet_base
	certfleet_redisconn)
