// Test helper (Node): electron-store as what it is, `conf` with the file named by `name`, for tests where electron is mocked.
import Conf from 'conf';

/**
 * electron-store loads `electron` natively, past vi.mock, and the real `electron` package tries to download its
 * binary on import. `conf` implements everything the app relies on (schema, defaults, file mode, the errors on an
 * invalid file); electron-store adds the userData default, and the app always passes its folder explicitly.
 */
export default class ConfStore extends Conf<Record<string, unknown>> {
  constructor({ name, ...options }: { name: string } & ConstructorParameters<typeof Conf>[0]) {
    super({ ...options, configName: name });
  }
}
