# packaging.cmake -- offline checks of the deployment forms: the install tree, systemd units, container image definition, Compose file and Kubernetes manifests (tests/packaging/).
# All labelled unit: no service, no network. The validators (docker-compose,
# systemd-analyze, kubeconform and its schemas, hadolint) come from
# deploy/local/install-deps and install-validators. packaging_install lays
# the tree into build/packaging-test; the others read it (fixture).
set(PACKAGING_DIR ${CMAKE_CURRENT_SOURCE_DIR}/packaging)
set(PACKAGING_OUT ${CMAKE_BINARY_DIR}/packaging-test)

add_test(NAME packaging_install
	COMMAND ${PACKAGING_DIR}/test_install ${CMAKE_BINARY_DIR} ${PACKAGING_OUT})
set_tests_properties(packaging_install PROPERTIES LABELS unit TIMEOUT 120
	FIXTURES_SETUP packaging_tree)

foreach(t systemd container kubernetes envnames)
	add_test(NAME packaging_${t}
		COMMAND ${PACKAGING_DIR}/test_${t} ${PROJECT_SOURCE_DIR} ${PACKAGING_OUT})
	set_tests_properties(packaging_${t} PROPERTIES LABELS unit TIMEOUT 120
		FIXTURES_REQUIRED packaging_tree)
endforeach()

add_test(NAME packaging_compose
	COMMAND ${PACKAGING_DIR}/test_compose ${PROJECT_SOURCE_DIR} ${CMAKE_BINARY_DIR}/packaging-compose)
set_tests_properties(packaging_compose PROPERTIES LABELS unit TIMEOUT 120)
