// servesim-calibrate: thin entry point over RunCalibrateCli; adds the CUDA backend when this
// binary was built with it. The only place that catches InputError (exit 2) and
// CalibrationError (exit 1).
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "calibrate/calibrate_cli.h"
#include "calibrate/harness.h"
#include "sim/config/input_error.h"

#ifdef SERVESIM_WITH_CUDA
#include "calibrate/cuda/cuda_backend.h"
#endif

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  std::map<std::string, servesim::BackendFactory> backends;
#ifdef SERVESIM_WITH_CUDA
  backends["cuda"] = [](const servesim::BackendOptions& o) {
    return servesim::MakeCudaBackend(o.dims, o.timing, o.seed, o.device);
  };
#endif
  try {
    return servesim::RunCalibrateCli(args, std::cout, backends);
  } catch (const servesim::InputError& e) {
    std::cout.flush();
    std::cerr << "servesim-calibrate: error: " << e.what() << "\n";
    return 2;
  } catch (const servesim::CalibrationError& e) {
    std::cout.flush();
    std::cerr << "servesim-calibrate: " << e.what() << "\n";
    return 1;
  }
}
