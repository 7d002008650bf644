#include "reports/html_report.hpp"
