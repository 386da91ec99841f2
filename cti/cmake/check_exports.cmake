# check_exports.cmake - ctest helper: the .cti must export exactly the names of exports.map.
#   cmake -DNM=<nm> -DLIB=<file.cti> -DMAP=<exports.map> -P check_exports.cmake
#
# Names come from the `global:` section of the map, one per `name;`.  (The earlier version matched
# "name;" and stripped the ";" afterwards; CMake splits a list on ";", so every match left an
# empty element behind and `foreach(IN LISTS)` counted 128 names for 64 - "want 128, have 64".)
# Comments are removed first, and duplicates, so a comment word or a repeated name cannot count.
file(READ "${MAP}" map_text)
string(REGEX REPLACE "/\\*([^*]|\\*+[^*/])*\\*+/" "" map_text "${map_text}")   # /* ... */
string(REGEX REPLACE "#[^\n]*" "" map_text "${map_text}")                         # # ...
string(REGEX REPLACE "//[^\n]*" "" map_text "${map_text}")                        # // ...
if(NOT map_text MATCHES "global:([^}]*)local:")
  message(FATAL_ERROR "${MAP}: no global:/local: section")
endif()
set(section "${CMAKE_MATCH_1}")
string(REGEX MATCHALL "[A-Za-z_][A-Za-z0-9_]*[ \t\r\n]*;" want_raw "${section}")
set(want "")
foreach(w ${want_raw})   # unquoted: empty elements are skipped
  string(REGEX REPLACE "[ \t\r\n;]" "" w "${w}")
  if(NOT w STREQUAL "")
    list(APPEND want "${w}")
  endif()
endforeach()
list(REMOVE_DUPLICATES want)
list(SORT want)
execute_process(COMMAND "${NM}" -D --defined-only "${LIB}" OUTPUT_VARIABLE nm_out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm failed on ${LIB}")
endif()
string(REPLACE "\n" ";" lines "${nm_out}")
set(have "")
foreach(l IN LISTS lines)
  if(l MATCHES "^[0-9a-fA-F]+ [A-Za-z] ([^ @]+)")
    list(APPEND have "${CMAKE_MATCH_1}")
  endif()
endforeach()
list(REMOVE_DUPLICATES have)
list(SORT have)
list(LENGTH want nwant)
list(LENGTH have nhave)
if(NOT "${want}" STREQUAL "${have}")
  set(missing ${want})
  list(REMOVE_ITEM missing ${have})
  set(extra ${have})
  list(REMOVE_ITEM extra ${want})
  message(FATAL_ERROR "export mismatch: want ${nwant}, have ${nhave}\n missing: ${missing}\n extra: ${extra}")
endif()
if(NOT nwant EQUAL 64)
  message(FATAL_ERROR "${MAP} lists ${nwant} names; GenTL 1.6 has 64 functions")
endif()
message(STATUS "exports OK: exactly ${nhave} GenTL symbols")
