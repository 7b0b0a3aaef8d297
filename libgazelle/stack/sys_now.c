/* The one OS service lwIP needs with NO_SYS=1: a millisecond clock for its timers. */
#include <time.h>

#include "lwip/sys.h"

u32_t sys_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u32_t)(ts.tv_sec * 1000u + ts.tv_nsec / 1000000u);
}
