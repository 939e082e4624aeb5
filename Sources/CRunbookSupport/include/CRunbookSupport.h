#ifndef CRUNBOOK_SUPPORT_H
#define CRUNBOOK_SUPPORT_H

#include "CRunbookSupervisor.h"

#endif
