#include "reports/signing.hpp"
