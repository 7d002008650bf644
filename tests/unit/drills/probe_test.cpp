// Health probes on loopback: a listening socket this test owns, a tiny
// HTTP responder thread, and commands. Refused ports and wrong statuses
// must fail with a message that says why.
#include "drills/probe.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <thread>

#include "verifier/core/fd.hpp"

namespace dp::drills {
namespace {

using namespace std::chrono_literals;

// A listening socket on 127.0.0.1 with a kernel-chosen port.
struct Listener {
  Fd fd;
  int port = 0;
  Listener() : fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd.get(), 8), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
  }
};

config::HealthConfig tcp(int port) {
  config::HealthConfig h;
  h.type = config::ProbeKind::tcp;
  h.host = "127.0.0.1";
  h.port = port;
  h.timeout = 2s;
  return h;
}

TEST(ProbeTest, TcpConnectsToAListener) {
  Listener l;
  auto outcome = run_probe(tcp(l.port));
  EXPECT_TRUE(outcome.passed) << outcome.message;
}

TEST(ProbeTest, TcpRefusedPortFails) {
  int port = 0;
  {
    Listener l;
    port = l.port;
  }  // closed: nothing listens there now
  auto outcome = run_probe(tcp(port));
  EXPECT_FALSE(outcome.passed);
  EXPECT_EQ(outcome.message, fmt::format("connect 127.0.0.1:{}: Connection refused", port));
}

// Answers one request with `response` and closes.
std::thread serve_once(Listener& l, std::string response) {
  return std::thread([&l, response] {
    Fd conn(::accept4(l.fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn.valid()) return;
    char buf[2048];
    (void)::recv(conn.get(), buf, sizeof buf, 0);
    (void)::send(conn.get(), response.data(), response.size(), MSG_NOSIGNAL);
  });
}

config::HealthConfig http(int port, int expect) {
  config::HealthConfig h = tcp(port);
  h.type = config::ProbeKind::http;
  h.path = "/health";
  h.expect_status = expect;
  return h;
}

TEST(ProbeTest, HttpExpectedStatusPasses) {
  Listener l;
  auto server = serve_once(l, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  auto outcome = run_probe(http(l.port, 200));
  server.join();
  EXPECT_TRUE(outcome.passed) << outcome.message;
  EXPECT_EQ(outcome.message, "HTTP 200");
}

TEST(ProbeTest, HttpOtherStatusFails) {
  Listener l;
  auto server = serve_once(l, "HTTP/1.1 503 Service Unavailable\r\n\r\n");
  auto outcome = run_probe(http(l.port, 200));
  server.join();
  EXPECT_FALSE(outcome.passed);
  EXPECT_EQ(outcome.message, "HTTP 503, expected 200");
}

TEST(ProbeTest, HttpServerThatNeverAnswersTimesOut) {
  Listener l;  // accepts into the backlog, never reads or writes
  auto h = http(l.port, 200);
  h.timeout = 300ms;
  auto outcome = run_probe(h);
  EXPECT_FALSE(outcome.passed);
  EXPECT_EQ(outcome.message, "HTTP: no response in time");
}

TEST(ProbeTest, CmdExitCodeDecides) {
  config::HealthConfig h;
  h.type = config::ProbeKind::cmd;
  h.timeout = 5s;
  h.command = {"true"};
  EXPECT_TRUE(run_probe(h).passed);
  h.command = {"/bin/sh", "-c", "echo replica lagging >&2; exit 2"};
  auto outcome = run_probe(h);
  EXPECT_FALSE(outcome.passed);
  EXPECT_EQ(outcome.message, "exit code 2: replica lagging");
  h.command = {"sleep", "10"};
  h.timeout = 200ms;
  outcome = run_probe(h);
  EXPECT_FALSE(outcome.passed);
  EXPECT_EQ(outcome.message, "sleep did not finish within 200ms");
}

TEST(ProbeTest, SqlOnSqliteFile) {
  config::HealthConfig h;
  h.type = config::ProbeKind::sql;
  h.engine = EngineKind::sqlite;
  h.connection = "/nonexistent/app.db";
  h.timeout = 1s;
  auto outcome = run_probe(h);
  EXPECT_FALSE(outcome.passed);
}

}  // namespace
}  // namespace dp::drills
