/* libgazelle for applications that link it (-lgazelle) instead of preloading it. The POSIX
 * socket calls are the interface; these functions only report what the shim decided. */
#ifndef GAZELLE_GAZELLE_H
#define GAZELLE_GAZELLE_H

#ifdef __cplusplus
extern "C" {
#endif

/* "0.1.0" */
const char *gazelle_version(void);
/* 1 when the user stack is running in this process (it starts on first use). */
int gazelle_stack_running(void);
/* 1 when fd is a socket on the user stack, 0 when it is the kernel's. */
int gazelle_is_user_fd(int fd);

#ifdef __cplusplus
}
#endif

#endif
