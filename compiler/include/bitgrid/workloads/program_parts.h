#pragma once
// One program out of several complete lowerings (the parts of a model graph whose layers lower through different
// code: runs of linear layers, attention heads, memory layers), run one after another on the machine. Each part was
// lowered with its DRAM image starting at the previous parts' end (it may read their outputs there). Between two parts
// a barrier: the earlier part's finish is dropped, the tokens it leaves in any counter are consumed (nops on the
// compute queue, token-only loads and stores), then a compute nop (after the part's last instruction and its last
// store) gives the load queue the token its next load waits for; so the later part starts from empty token
// counters, after every instruction and store of the earlier one, with no instruction of its own reordered.
#include <string>

#include "bitgrid/workload.h"

namespace bitgrid {

// Appends `part` to `all` (empty: becomes the part). `section`: when not empty the part's instructions form one
// report section of that name, else the part keeps its own sections. Throws Error when the part's image ends below
// the bytes `all` already holds.
void append_part(Lowered& all, Lowered&& part, const std::string& section);

}  // namespace bitgrid
