/**
 * Verifies a converted bundle's classifier with the TypeScript evaluator:
 *   node models/convert/verify-bundle.ts <bundle-dir>
 * Loads manifest.json (schema), classifier.json (the loader checks CatBoost's cat_features_hash against
 * its own hashing), cross-checks the manifest's feature list with the model, and scores the check file
 * (CatBoost's own predictions) to 1e-6. Exits non-zero on the first problem.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Manifest } from "../../shared/model/bundle.ts";
import { checkManifestFeatures, loadCatBoost } from "../../shared/model/catboost/load.ts";
import { parseCheckFile, verifyCheckFile } from "../../shared/model/catboost/check-file.ts";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node models/convert/verify-bundle.ts <bundle-dir>");
  process.exit(2);
}
const manifest = Manifest.parse(JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")));
const model = loadCatBoost(readFileSync(join(dir, manifest.classifier.file), "utf8"));
checkManifestFeatures(model, manifest.features);
console.log(
  `classifier: ${model.treeCount} trees, ${model.featureCount} features (${model.categoricalIndices.length} categorical), loss ${model.lossFunction ?? "unknown"}`,
);
if (manifest.classifier.check_file === undefined) {
  console.error("manifest names no check_file: nothing to compare with CatBoost");
  process.exit(1);
}
const rows = parseCheckFile(readFileSync(join(dir, manifest.classifier.check_file), "utf8"));
const res = verifyCheckFile(model, rows, 1e-6);
console.log(
  `check file: ${res.rows} rows agree with CatBoost (max abs diff ${res.maxAbsDiff.toExponential(2)})`,
);
