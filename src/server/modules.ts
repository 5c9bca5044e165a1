import type { AnyModule } from '../platform/module/module.js';
import { hotlineModule } from '../hotline/index.js';
import { kpiModule } from '../hotline/kpi/index.js';
import { open311Module } from '../hotline/open311/index.js';
import { intelModule } from '../hotline/intel/index.js';
import { governanceModule } from '../hotline/governance/index.js';
import { contextModule } from '../context/index.js';
import { catalogModule } from '../catalog/index.js';
import { operationModule } from '../operation/index.js';

/**
 * Every capability, in the order they are created: a module's `requires` names modules listed before it.
 * Adding a module is one line here (docs/architecture.md, "Adding a module").
 */
export const modules: readonly AnyModule[] = [hotlineModule, kpiModule, open311Module, intelModule, governanceModule, contextModule, catalogModule, operationModule];
