// include/gazelle/gazelle.h
#include "gazelle/gazelle.h"

#include "runtime.h"

extern "C" {

const char* gazelle_version(void) { return GAZELLE_VERSION; }

int gazelle_stack_running(void) {
  gazelle::Locked l;
  return gazelle::Runtime::get().stack() != nullptr;
}

int gazelle_is_user_fd(int fd) { return gazelle::Runtime::kind(fd) == gazelle::FdKind::user; }

}  // extern "C"
