# startup.cmake -- starting order: daemons started before PostgreSQL and Redis wait for them, and outlive a lost PostgreSQL.
certfleet_integration_test(startup_order
	${CMAKE_CURRENT_SOURCE_DIR}/integration/test_startup $<TARGET_FILE_DIR:certfleet-worker>)
