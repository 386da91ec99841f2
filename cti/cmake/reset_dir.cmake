# reset_dir.cmake - ctest fixture: empty the test state folder (cmake -DDIR=<dir> -P reset_dir.cmake).
if(NOT DIR)
  message(FATAL_ERROR "reset_dir.cmake: DIR is not set")
endif()
file(REMOVE_RECURSE "${DIR}")
file(MAKE_DIRECTORY "${DIR}")
