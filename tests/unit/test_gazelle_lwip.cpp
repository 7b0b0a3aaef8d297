// The lwIP that libgazelle builds from the distribution's source package with its own
// lwipopts.h: it initialises, and a TCP listener and many PCBs fit (thousands of connections).
#include <gtest/gtest.h>

extern "C" {
#include "lwip/init.h"
#include "lwip/ip_addr.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
}

TEST(GazelleLwip, InitialisesWithOurOptions) {
  lwip_init();
  EXPECT_EQ(TCP_WND, 1024 * 1024);
  EXPECT_EQ(NO_SYS, 1);
  tcp_pcb* pcb = tcp_new();
  ASSERT_NE(pcb, nullptr);
  ASSERT_EQ(tcp_bind(pcb, IP_ADDR_ANY, 8080), ERR_OK);
  tcp_pcb* listener = tcp_listen(pcb);
  ASSERT_NE(listener, nullptr);
  // Room for well over 1,000 connections.
  std::vector<tcp_pcb*> pcbs;
  for (int i = 0; i < 2000; ++i) {
    tcp_pcb* p = tcp_new();
    ASSERT_NE(p, nullptr) << "pcb " << i;
    pcbs.push_back(p);
  }
  for (auto* p : pcbs) tcp_abort(p);
  sys_check_timeouts();  // the NO_SYS timer wheel runs on our sys_now()
  tcp_close(listener);
}
