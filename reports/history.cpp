#include "reports/history.hpp"
