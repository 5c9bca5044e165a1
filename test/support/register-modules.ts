// Every module's problem codes and permissions are registered when its definition is imported: tests that
// build a service on its own (without the composition root) see the same registries as a running CityHub.
import '../../src/server/modules.js';
