// servesim_process_timer RUNS COMMAND [ARG]...: runs COMMAND RUNS times (stdout and stderr to
// /dev/null) and prints the wall time of each whole process, from spawn to exit, as min / median
// / max in ms: what a user waits for, start-up included. A shell's `date` around a command adds
// milliseconds of its own; posix_spawn and a monotonic clock add microseconds.
// scripts/bench.sh uses it for the Vidur comparison (docs/performance.md).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

extern char** environ;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: servesim_process_timer RUNS COMMAND [ARG]...\n");
    return 2;
  }
  char* end = nullptr;
  const long runs = std::strtol(argv[1], &end, 10);
  if (*end != '\0' || runs < 1 || runs > 100000) {
    std::fprintf(stderr,
                 "servesim_process_timer: RUNS must be an integer in [1, 100000], got '%s'\n",
                 argv[1]);
    return 2;
  }
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&files, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<double> ms;
  for (long i = 0; i < runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    pid_t pid = 0;
    if (posix_spawnp(&pid, argv[2], &files, nullptr, argv + 2, environ) != 0) {
      std::fprintf(stderr, "servesim_process_timer: cannot run '%s'\n", argv[2]);
      return 2;
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "servesim_process_timer: '%s' failed (run %ld)\n", argv[2], i + 1);
      return 1;
    }
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  posix_spawn_file_actions_destroy(&files);
  std::sort(ms.begin(), ms.end());
  const double median =
      ms.size() % 2 ? ms[ms.size() / 2] : (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]) / 2;
  std::printf("runs %zu: min %.2f ms, median %.2f ms, max %.2f ms\n", ms.size(), ms.front(), median,
              ms.back());
  return 0;
}
