import argparse
import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from cap.model import Encoder

# datasets are expected under /scratch/nokafor/audio/<name>/{train,test}.npz (see scripts/prepare.sh)
ROOT = "/scratch/nokafor/audio"


def embed(model, x):
    with torch.no_grad():
        return model(torch.from_numpy(x).cuda(), project=False).cpu().numpy()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ckpt", required=True)
    p.add_argument("--dataset", choices=["esc50", "us8k"], default="esc50")
    args = p.parse_args()
    model = Encoder().cuda().eval()
    model.load_state_dict(torch.load(args.ckpt))
    tr, te = (np.load(f"{ROOT}/{args.dataset}/{s}.npz") for s in ("train", "test"))
    clf = LogisticRegression(max_iter=2000).fit(embed(model, tr["x"]), tr["y"])
    print(f"{args.dataset} linear probe accuracy: {clf.score(embed(model, te['x']), te['y']):.3f}")


if __name__ == "__main__":
    main()
