# coordinator.cmake -- the coordinator's tests: unit tests of its modules, and the end-to-end flow against the stack.
foreach(name vault keys certinfo enroll sweep dbprep ids)
	certfleet_unit_test(unit_coord_${name} unit/test_coord_${name}.c
		certfleet_coordinator)
endforeach()


add_executable(test_coord_flow integration/test_coord_flow.c)
target_link_libraries(test_coord_flow PRIVATE certfleet_coordinator
	certfleet_httpget certfleet_kafkaconn certfleet_redisconn certfleet_pem
	certfleet_base PkgConfig::CRYPTO PkgConfig::JANSSON PkgConfig::CMOCKA)
certfleet_integration_test(coord_flow
	${CMAKE_CURRENT_SOURCE_DIR}/integration/test_coord_flow.sh
	$<TARGET_FILE:certfleet-coordinator> $<TARGET_FILE:test_coord_flow>
	$<TARGET_FILE:certfleetctl>)

# The order owner (orders/order.c) against PostgreSQL: fallback and retries
# keep every field of the order (profile, replaces, preferred chain...).
add_executable(test_orders integration/test_orders.c)
target_link_libraries(test_orders PRIVATE certfleet_coordinator PkgConfig::CMOCKA)
certfleet_integration_test(orders_owner $<TARGET_FILE:test_orders>)

# A master key's rotation (store/reseal.c) against PostgreSQL, on a database
# of its own: every sealed place, batches over ticks, what does not open.
add_executable(test_reseal integration/test_reseal.c)
target_link_libraries(test_reseal PRIVATE certfleet_coordinator PkgConfig::CMOCKA)
certfleet_integration_test_own(reseal bash -c
	"CERTFLEET_PG=$(\"$0\" reseal) && export CERTFLEET_PG && exec \"$1\""
	${CMAKE_CURRENT_SOURCE_DIR}/integration/fresh-db $<TARGET_FILE:test_reseal>)
