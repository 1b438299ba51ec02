# Warnings.cmake -- the warning set of STYLE.md (after curl's PickyWarnings), errors under CERTFLEET_WERROR.
set(CERTFLEET_WARNINGS
	-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
	-Wformat=2 -Wimplicit-fallthrough -Wpointer-arith
	-Wvla -Wundef)
if(CERTFLEET_WERROR)
	list(APPEND CERTFLEET_WARNINGS -Werror)
endif()
add_compile_options(${CERTFLEET_WARNINGS})

if(CERTFLEET_SANITIZE)
	add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
		-fno-sanitize-recover=undefined)
	add_link_options(-fsanitize=address,undefined)
endif()
