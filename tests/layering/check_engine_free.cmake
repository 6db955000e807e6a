# Fails if a source of the client side (ui/, core/api, core/remote, core/trace) includes the
# engine or the server, or if one of their libraries links them (LIBS: "name=lib;lib|name=…",
# each library's direct link list, computed at configure time). They reach an engine only
# through core/api/ExecutionBackend.h (docs/architecture.md, "Layers").
set(bad "")
foreach(dir ${DIRS})
  file(GLOB_RECURSE files ${dir}/*.h ${dir}/*.cpp)
  foreach(f ${files})
    file(STRINGS ${f} lines REGEX "#include \"core/(engine|server)/")
    if(lines)
      list(APPEND bad "${f}: ${lines}")
    endif()
  endforeach()
endforeach()
string(REPLACE "|" ";" entries "${LIBS}")
foreach(entry ${entries})
  if(entry MATCHES "(as_engine|as_server)")
    list(APPEND bad "links the engine or server: ${entry}")
  endif()
endforeach()
if(bad)
  message(FATAL_ERROR "the client side reaches the engine or server:\n${bad}")
endif()
