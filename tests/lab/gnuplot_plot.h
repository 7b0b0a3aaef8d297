// One series as a horizontal bar chart in SVG, drawn by gnuplot (the distribution's): a bar per
// measured case, labelled with its value and its ratio to the baseline. Cases that were not
// measured get no bar; the report's table says why.
#pragma once

#include <string>

#include "bench_series.h"

namespace netaccel::lab {

// The colour of every bar: the report's render test looks for it in a screenshot.
inline constexpr const char* kBarColour = "#2a7ab0";

// The SVG element (no XML prolog: it goes inline into HTML). work_dir holds gnuplot's input.
// gnuplot missing or failing: an error saying so.
Result<std::string> plot_series(const Series& s, const std::string& work_dir, const std::string& file_stem);

}  // namespace netaccel::lab
