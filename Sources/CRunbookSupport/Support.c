#include "CRunbookSupport.h"
