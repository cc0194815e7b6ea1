# Warnings, hardening and sanitizer flags shared by every keyward target.
include(CheckCXXCompilerFlag)

set(KEYWARD_WARNINGS -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor -Wcast-qual
    -Wformat=2 -Wimplicit-fallthrough)
# Implicit narrowing and sign changes (issue 13 item 9): an error in the targets that take them
# (keyward_core: formats, lengths and offsets); a narrowing that is known safe is a static_cast.
set(KEYWARD_CONVERSION_WARNINGS -Wconversion -Wsign-conversion)

function(keyward_harden target)
  target_compile_options(${target} PRIVATE ${KEYWARD_WARNINGS})
  target_compile_options(${target} PRIVATE -fstack-protector-strong -fstack-clash-protection)
  if(NOT KEYWARD_SANITIZE AND NOT CMAKE_BUILD_TYPE STREQUAL "Debug")
    target_compile_definitions(${target} PRIVATE _FORTIFY_SOURCE=2)
  endif()
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "EXECUTABLE")
    target_link_options(${target} PRIVATE -pie -Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack)
  endif()
endfunction()

# Position-independent executables everywhere.
set(CMAKE_POSITION_INDEPENDENT_CODE ON)

if(KEYWARD_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()

if(KEYWARD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "KEYWARD_FUZZ needs clang: configure with -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang")
  endif()
  # Instrument everything for coverage; each fuzz target links -fsanitize=fuzzer itself.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
