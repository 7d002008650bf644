#include "reports/bundle.hpp"
